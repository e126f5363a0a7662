"""Events about one document: saved (created, updated, restored) and a lesson's lifecycle."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_serializer, model_validator

from kb.events.kinds.base import KbEvent, kind

LessonStatus = Literal[
    "draft",
    "submitted",
    "in_review",
    "published",
    "rejected",
    "in_action",
    "actioned",
    "verified",
    "archived",
    "merged",
    "reopened",
]


class DocumentSaved(KbEvent):
    """A document was created, saved, or an old revision of it restored."""

    id: str = Field(description="the document's id, e.g. `LL-2025-0007`")
    type: Literal["lesson", "process", "guide", "term"] = Field(description="the kind of document")
    title: str
    version: int = Field(description="the revision number")
    status: str = Field(description="its status after the change")
    project: str | None = Field(description="the project key, null when none")
    actor: str = Field(description="who made the change (`kb` for kb itself)")


class LessonSaved(DocumentSaved):
    SUBJECT = "lessons/{id}"


class ProcessModelSaved(DocumentSaved):
    SUBJECT = "processes/{id}"


class GuideSaved(DocumentSaved):
    SUBJECT = "guides/{id}"


class TermSaved(DocumentSaved):
    SUBJECT = "glossary/{id}"


@kind
class LessonCreated(LessonSaved):
    """A lesson was created."""

    TYPE = "lesson.created"


@kind
class LessonUpdated(LessonSaved):
    """A lesson was saved (a new revision)."""

    TYPE = "lesson.updated"


@kind
class LessonRestored(LessonSaved):
    """An old revision of a lesson was restored (as a new revision)."""

    TYPE = "lesson.restored"


@kind
class ProcessModelCreated(ProcessModelSaved):
    """A process model was created."""

    TYPE = "processmodel.created"


@kind
class ProcessModelUpdated(ProcessModelSaved):
    """A process model was saved (a new revision). Its process changing in the process
    repository emits the same type with other data (with `change_type`)."""

    TYPE = "processmodel.updated"


@kind
class ProcessModelRestored(ProcessModelSaved):
    """An old revision of a process model was restored (as a new revision)."""

    TYPE = "processmodel.restored"


@kind
class GuideCreated(GuideSaved):
    """A guide was created."""

    TYPE = "guide.created"


@kind
class GuideUpdated(GuideSaved):
    """A guide was saved (a new revision)."""

    TYPE = "guide.updated"


@kind
class GuideRestored(GuideSaved):
    """An old revision of a guide was restored (as a new revision)."""

    TYPE = "guide.restored"


@kind
class TermCreated(TermSaved):
    """A glossary term was created."""

    TYPE = "term.created"


@kind
class TermUpdated(TermSaved):
    """A glossary term was saved (a new revision)."""

    TYPE = "term.updated"


@kind
class TermRestored(TermSaved):
    """An old revision of a glossary term was restored (as a new revision)."""

    TYPE = "term.restored"


# --- the lesson lifecycle --------------------------------------------------------------------


class LessonTransitioned(KbEvent):
    """A lesson moved to another status (see the lesson lifecycle)."""

    SUBJECT = "lessons/{id}"
    #: the status a transition of this type moves to
    TO: ClassVar[str] = ""

    id: str
    type: Literal["lesson"] = "lesson"
    title: str
    version: int = Field(description="the revision the transition wrote")
    status: LessonStatus = Field(description="the new status (= `to`)")
    from_: LessonStatus = Field(alias="from", description="the status before")
    to: LessonStatus
    reason: str | None = Field(
        description="why (for a rejection, a reopening, the evidence of a "
        "verification); names `refers_to` when there is one"
    )
    actor: str
    project: str | None
    merged_into: str | None = Field(
        None, description="the lesson it was merged into (only present for a merge)"
    )
    refers_to: str | None = Field(
        None,
        description="the other lesson the transition names (a "
        "merge, a reopening by recurrence); only present then",
    )
    public_reason: str | None = Field(
        None,
        description="the reason as told to whoever may not "
        "read `refers_to` (present with `refers_to`)",
    )

    @model_validator(mode="after")
    def _moves_to_its_status(self) -> LessonTransitioned:
        if self.TO and not self.status == self.to == self.TO:
            raise ValueError(f"{self.TYPE} moves a lesson to {self.TO}, not {self.to}")
        return self

    @model_serializer(mode="wrap")
    def _shape(self, handler) -> dict[str, Any]:  # noqa: ANN001
        """The fields about another lesson are present only when there is one."""
        out = handler(self)
        if self.merged_into is None:
            out.pop("merged_into", None)
        if self.refers_to is None:
            out.pop("refers_to", None)
            out.pop("public_reason", None)
        return out


@kind
class LessonSubmitted(LessonTransitioned):
    """A lesson was submitted to the curators (`draft` → `submitted`)."""

    TYPE = "lesson.submitted"
    TO = "submitted"


@kind
class LessonReviewStarted(LessonTransitioned):
    """A curator started reviewing a lesson (→ `in_review`)."""

    TYPE = "lesson.review_started"
    TO = "in_review"


@kind
class LessonPublished(LessonTransitioned):
    """A lesson was published (`in_review` → `published`)."""

    TYPE = "lesson.published"
    TO = "published"


@kind
class LessonRejected(LessonTransitioned):
    """A lesson was rejected, or withdrawn from a review (→ `rejected`)."""

    TYPE = "lesson.rejected"
    TO = "rejected"


@kind
class LessonActionStarted(LessonTransitioned):
    """A published lesson got its first action (→ `in_action`)."""

    TYPE = "lesson.action_started"
    TO = "in_action"


@kind
class LessonActioned(LessonTransitioned):
    """A lesson's last open action was closed (→ `actioned`)."""

    TYPE = "lesson.actioned"
    TO = "actioned"


@kind
class LessonVerified(LessonTransitioned):
    """A curator verified an actioned lesson, with the evidence as reason (→ `verified`)."""

    TYPE = "lesson.verified"
    TO = "verified"


@kind
class LessonArchived(LessonTransitioned):
    """A lesson was archived (→ `archived`)."""

    TYPE = "lesson.archived"
    TO = "archived"


@kind
class LessonMerged(LessonTransitioned):
    """A lesson was merged into another (→ `merged`, with `merged_into`)."""

    TYPE = "lesson.merged"
    TO = "merged"


@kind
class LessonReopened(LessonTransitioned):
    """A lesson was reopened, by a curator or by kb when its problem recurred (→ `reopened`)."""

    TYPE = "lesson.reopened"
    TO = "reopened"


@kind
class LessonReturnedToDraft(LessonTransitioned):
    """Its creator took a rejected lesson back to draft (→ `draft`)."""

    TYPE = "lesson.returned_to_draft"
    TO = "draft"
