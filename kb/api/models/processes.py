"""What the process repository changed in a process model (process.changed)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from kb.api.models.common import Answer, Day
from kb.processes.services import CHANGE_TYPES


class ProcessChange(Answer):
    id: str | None = Field(description="the kb process model it matched")
    process_id: str
    title: str | None
    version: str
    change_type: Literal[CHANGE_TYPES]  # type: ignore[valid-type]
    effective_from: Day | None
    changed_by: str
    summary: str
    flagged_lessons: list[str] = Field(
        description="lessons flagged for revalidation (those you may read)"
    )

    @classmethod
    def of(cls, change, title: str | None, readable: set[str]) -> ProcessChange:  # noqa: ANN001
        return cls(
            id=change.document_id,
            process_id=change.process_id,
            title=title,
            version=change.version,
            change_type=change.change_type,
            effective_from=change.effective_from,
            changed_by=change.changed_by,
            summary=change.summary,
            flagged_lessons=[x for x in change.flagged_lessons or [] if x in readable],
        )


class ProcessChanges(Answer):
    process_id: str
    id: str | None
    title: str | None
    changes: list[ProcessChange]


class LinkedAction(Answer):
    id: int
    status: Literal["open", "closed"]


class ProcessLink(Answer):
    """A lesson <-> process model link (kb.processes.links), as both pages show it."""

    lesson: str = Field(description="the lesson's id")
    lesson_title: str
    model: str = Field(description="the process model's id")
    model_title: str
    model_version: str = Field(description="the model's own version (front matter `version`)")
    model_status: str
    published_on: Day | None = Field(
        description="when the model's current run of published revisions began"
    )
    cited: bool = Field(description="the model's current version lists the lesson in `addresses`")
    actions: list[LinkedAction] = Field(description="the lesson's actions targeting the model")
    text: str = Field(description='"LL-2026-0042 → Procurement approval v4, published 2026-05-02"')

    @classmethod
    def of(cls, link) -> ProcessLink:  # noqa: ANN001
        return cls(
            lesson=link.lesson_id,
            lesson_title=link.lesson_title,
            model=link.model_id,
            model_title=link.model_title,
            model_version=link.model_version,
            model_status=link.model_status,
            published_on=link.published_on,
            cited=link.cited,
            actions=[LinkedAction(id=i, status=s) for i, s in link.actions],
            text=link.text,
        )
