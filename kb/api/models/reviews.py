"""A project's lessons review: its draft lessons, progress and the PMO's tasks about it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, WithJsonSchema

from kb.api.models.common import Answer, Body, Day, Timestamp, Version
from kb.api.models.documents import LessonSummary
from kb.reviews import drafts, workshop
from kb.reviews.models import IMPACTS

Impact = Literal["went_well", "to_improve"]


class ReviewTask(Answer):
    id: int
    kind: str
    subject: str = Field(description="what it is about, e.g. lessons/LL-2025-0007")
    assignee: str | None
    status: str
    created_at: Timestamp
    details: dict[str, Any]


class DraftLesson(LessonSummary):
    impact: Impact | None
    source: Literal["workshop", "audit"] | None
    audit: str | None
    finding: str | None
    complete: bool = Field(description="what happened, lesson and recommendation written")
    missing: list[str]
    withdrawn: bool = Field(description="taken out of the review (status rejected)")
    may_change: bool = Field(description="you may complete, edit and withdraw this draft now")


class Progress(Answer):
    total: int
    complete: int
    incomplete: int
    submitted: int
    drafts: int
    by_impact: dict[str, int]
    withdrawn: int = Field(description="drafts taken out of the review")
    summary: str = Field(examples=["3 lessons: 2 complete, 1 needs a recommendation; 0 submitted"])


class Review(Answer):
    id: int
    project: str
    origin: str | None = Field(
        description="closure, or audit:<auditId> for a review an audit opened"
    )
    status: Literal["open", "completed"]
    opened_at: Timestamp
    due_on: Day
    facilitator: str | None
    participants: list[str]
    closure_type: str | None
    outcome_summary: str | None
    escalation_level: int = Field(description="0 none, 1 project manager told, 2 PMO told")
    completed_at: Timestamp | None
    completed_by: str | None
    lessons: list[DraftLesson] = Field(description="the review's lessons you may read")
    progress: Progress
    tasks: list[ReviewTask]
    may_record: bool
    may_submit: bool


def _sections(names: tuple[str, ...], closed: bool) -> dict:
    """The sections a client writes, each Markdown text; what happened is required."""
    text = {"type": "string", "maxLength": workshop.SECTION_MAX}
    schema = {
        "type": "object",
        "properties": dict.fromkeys(names, text),
        "required": ["what_happened"],
    }
    return schema | ({"additionalProperties": False} if closed else {})


def _checked_by_the_review(schema: dict) -> Any:
    """A member whose every problem kb.reviews names at once (`details.fields`): the model
    takes it as sent and states its schema; the review refuses what the schema forbids."""
    return Annotated[Any, WithJsonSchema(schema)]


Title = _checked_by_the_review({"type": "string", "maxLength": workshop.TITLE_MAX})


class DraftWrite(Body):
    model_config = ConfigDict(
        strict=True, json_schema_extra={"required": ["impact", "title", "sections"]}
    )
    impact: _checked_by_the_review({"enum": list(IMPACTS)}) = None
    title: Title = None
    sections: _checked_by_the_review(_sections(tuple(n for n, _ in workshop.SECTIONS), False)) = (
        None
    )
    topics: _checked_by_the_review({"type": "array", "items": {"type": "string"}}) = None


class DraftEdit(Body):
    model_config = ConfigDict(
        strict=True, json_schema_extra={"required": ["title", "sections", "version"]}
    )
    title: Title = None
    sections: _checked_by_the_review(_sections(drafts.EDITED, True)) = None
    version: Version = Field(description="the draft's version you edited")


class Withdrawal(Body):
    reason: str | None = Field(None, max_length=drafts.REASON_MAX)
    version: Version | None = Field(None, description="refused (409) if the draft changed since")
