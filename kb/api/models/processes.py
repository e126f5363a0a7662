"""What the process repository changed in a process model (process.changed)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from kb.api.models.common import Answer, Body, Day, Timestamp
from kb.api.models.common import Version as VersionNumber
from kb.core.attributes import alike
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
        names = "process_id version change_type effective_from changed_by summary"
        return cls(
            **alike(change, names, id=change.document_id, title=title),
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
        names = "lesson_title model_title model_version model_status published_on cited text"
        return cls(
            **alike(link, names, lesson=link.lesson_id, model=link.model_id),
            actions=[LinkedAction(id=i, status=s) for i, s in link.actions],
        )


# --- governance (kb.processes.governance, kb.processes.versions) ------------------------------


class ProcessApprover(Answer):
    name: str = Field(description="the `approvers:` entry: a kb username or a group")
    state: Literal["waiting", "approved", "changes_requested"]
    by: str | None = Field(description="who decided, null while waiting")
    at: Timestamp | None
    note: str


class ProcessVersion(Answer):
    number: int = Field(description="1, 2, 3 … in the order kb published them")
    label: str = Field(description="the `version:` label of the version, e.g. `3.0`")
    revision: int = Field(description="the revision that was published")
    summary: str = Field(description="what changed, in the publisher's words")
    published_by: str | None
    published_at: Timestamp | None


class ProcessGovernance(Answer):
    id: str
    title: str
    status: Literal["draft", "in_review", "approved", "published", "retired"]
    version: int = Field(description="the current revision (send it back as `version`)")
    published_revision: int | None = Field(
        description="the revision readers see, null when they see the current one"
    )
    owner: str | None
    expert: str | None
    custodian: str | None
    approvers: list[ProcessApprover] = Field(description="where each approver stands")
    steps: list[Literal["submit", "approve", "request_changes", "publish", "retire"]] = Field(
        description="the steps you may take now"
    )
    versions: list[ProcessVersion] = Field(description="published versions, oldest first")


class ProcessStep(Body):
    action: Literal["submit", "approve", "request_changes", "publish", "retire"]
    note: str | None = Field(
        None,
        max_length=2000,
        description="the change summary (required to publish), what to change (required to "
        "ask for changes), or a remark",
    )
    summary: str | None = Field(None, max_length=2000, description="the same as `note`")
    version: VersionNumber | None = Field(
        None, description="the revision you saw; 409 if it changed"
    )


class StepRef(Answer):
    number: int
    name: str


class StepFieldChange(Answer):
    field: str
    before: str
    after: str


class ChangedStep(Answer):
    number: int
    name: str
    fields: list[StepFieldChange]


class StepsDiff(Answer):
    added: list[StepRef]
    removed: list[StepRef]
    changed: list[ChangedStep]


class ProcessComparison(Answer):
    id: str
    a: str = Field(description="the older side: a version number or `draft`")
    b: str
    markdown_diff: str = Field(description="the Markdown, as a unified diff (empty: the same)")
    steps: StepsDiff = Field(description="the structured steps, matched by their numbers")
