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
