"""Events about process models and the PMO's tasks."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from kb.events.kinds.base import KbEvent, Stamp, kind

#: where each kind of task points (its subject)
TASK_SUBJECTS = {
    "confirm_bau_owner": "processes",
    "verify_lesson": "lessons",
    "revalidate_lesson": "lessons",
    "review_process_model": "processes",
}


@kind
class ProcessModelCustodianChanged(KbEvent):
    """A closing project's process model passes into the PMO's custody (a new revision, actor
    `kb`, which also emits `processmodel.updated`)."""

    TYPE = "processmodel.custodian.changed"
    SUBJECT = "processes/{id}"

    id: str
    title: str
    from_: str | None = Field(alias="from", description="the former custodian")
    to: str = Field(description="the new custodian: `PMO`")
    owner: str | None
    project: str = Field(description="the closing project")


@kind
class ProcessModelChanged(KbEvent):
    """The process repository changed a process (`org.pmo.process.changed`), once per inbound
    event. The revision it writes also emits the document event `processmodel.updated` (no
    `change_type`)."""

    TYPE = "processmodel.updated"
    MARKER = "change_type"
    SUBJECT_NOTE = "`processes/<id>` (`processes/<process_id>` when kb has no such model)"

    id: str | None = Field(description="the process model, null when kb has no such model")
    process_id: str = Field(description="the process, upper-cased")
    title: str | None = Field(description="the model's title, null when kb has no such model")
    version: str = Field(description="the process version, as text")
    change_type: Literal["created", "updated", "retired"]
    effective_from: date | None
    changed_by: str
    summary: str
    flagged_lessons: list[str] = Field(description="the lessons flagged for revalidation")

    @property
    def subject(self) -> str:
        return f"processes/{self.id or self.process_id}"


ProcessStatus = Literal["draft", "in_review", "approved", "published", "retired"]


class ProcessModelStep(KbEvent):
    """A step of a process model's governance (see process model governance): a new revision
    with the new `status:` (every other byte kept), by a person."""

    SUBJECT = "processes/{id}"

    id: str
    title: str
    version: int = Field(description="the revision number after the step")
    status: ProcessStatus = Field(description="its status after the step")
    from_: ProcessStatus = Field(alias="from", description="its status before")
    actor: str
    project: str | None
    note: str | None = Field(description="the note given with the step, null when none")


@kind
class ProcessModelSubmitted(ProcessModelStep):
    """A draft was submitted for review: a new round of approvals opens."""

    TYPE = "processmodel.submitted"

    approvers: list[str] = Field(description="the `approvers:` entries asked to approve")


@kind
class ProcessModelApproved(ProcessModelStep):
    """An approver approved the version under review; when no entry waits any more, the
    model's status becomes `approved`."""

    TYPE = "processmodel.approved"

    approvers: list[str] = Field(description="the entries this approval answers for")
    waiting: list[str] = Field(description="the entries still to approve")


@kind
class ProcessModelChangesRequested(ProcessModelStep):
    """An approver asked for changes (the note says which): the model is a draft again."""

    TYPE = "processmodel.changes_requested"


@kind
class ProcessModelPublished(ProcessModelStep):
    """An approved version was published: readers now see it."""

    TYPE = "processmodel.published"

    number: int = Field(description="the published version's number: 1, 2, 3 …")
    label: str = Field(description="its `version:` label, e.g. `3.0`")
    summary: str = Field(description="what changed, in the publisher's words")


@kind
class ProcessModelRetired(ProcessModelStep):
    """A published model was retired: still readable and searchable, marked as retired."""

    TYPE = "processmodel.retired"


@kind
class ProcessModelReviewDue(KbEvent):
    """A process model that is not retired is past its next review (`last_reviewed` +
    `review_period_months`): once per model and review period it stays overdue (a new
    `last_reviewed` that is overdue too is told again). Its owner and its custodian are told
    (the PMO when the custodian is the PMO, or when kb knows neither of them)."""

    TYPE = "processmodel.review_due"
    SUBJECT = "processes/{id}"

    id: str
    title: str
    owner: str | None = Field(description="a kb username, an address or a name")
    custodian: str | None
    due_on: date = Field(description="when the review was due")
    last_reviewed: date
    project: str | None
    period_start: date | None = Field(
        None,
        description="the review period this notice is for: `due_on` the first time, then "
        "a period later for each period the model stays overdue",
    )


@kind
class ProcessModelReviewed(KbEvent):
    """Someone recorded "reviewed, no change" on a process model (its owner, expert,
    custodian or a curator): `last_reviewed` becomes that day (a revision, which also emits
    `processmodel.updated`, unless the front matter said so already)."""

    TYPE = "processmodel.reviewed"
    SUBJECT = "processes/{id}"

    id: str
    title: str
    reviewed_by: str = Field(description="the kb username")
    reviewed_on: date = Field(description="the UTC day of the review: the new `last_reviewed`")
    next_review: date
    review_period_months: int
    project: str | None


@kind
class TaskCompleted(KbEvent):
    """A curator marked one of the PMO's tasks done."""

    TYPE = "task.completed"
    SUBJECT_NOTE = "the task's subject: `lessons/<id>`, or `processes/<id>` for custody and reviews"

    id: str = Field(description="the document the task is about")
    task: int = Field(description="the task's number")
    kind: Literal["confirm_bau_owner", "verify_lesson", "revalidate_lesson", "review_process_model"]
    title: str | None
    assignee: str
    done_by: str
    done_at: Stamp
    note: str | None

    @property
    def subject(self) -> str:
        """The task's subject: `processes/<id>` (custody) or `lessons/<id>`."""
        return f"{TASK_SUBJECTS[self.kind]}/{self.id}"
