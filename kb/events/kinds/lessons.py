"""Events about what happens around a lesson: its actions, a recurrence, an audit asking for
verification, an answer to a briefing."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from kb.events.kinds.base import KbEvent, Stamp, kind


class LessonAction(KbEvent):
    """An action on a lesson (see a lesson's actions), told by kb itself (no `actor`)."""

    SUBJECT = "lessons/{lesson}"

    id: int = Field(description="the action's number")
    lesson: str = Field(description="the lesson's id")
    description: str
    owner: str = Field(description="a kb username, or a name")
    due_on: date | None
    target_kind: Literal["process_model", "template", "checklist", "training", "policy", "none"]
    target_ref: str | None = Field(description="a process model id, a link or a name")
    status: Literal["open", "closed"]
    created_by: str
    created_at: Stamp
    closed_by: str | None
    closed_at: Stamp | None
    closing_note: str | None
    title: str = Field(description="the lesson's title")
    project: str | None = Field(description="the lesson's project")


class LessonActionChanged(LessonAction):
    """An action on a lesson (see a lesson's actions)."""

    actor: str = Field(description="who added or closed it")


@kind
class LessonActionAdded(LessonActionChanged):
    """An action was added to a lesson (or "no action" recorded, as a closed action)."""

    TYPE = "lesson.action.added"


@kind
class LessonActionClosed(LessonActionChanged):
    """An action of a lesson was closed."""

    TYPE = "lesson.action.closed"


@kind
class LessonActionOverdue(LessonAction):
    """An open action is past its due date: once per action and due date (the worker's sweep,
    the day after `due_on`). Its owner is told."""

    TYPE = "lesson.action.overdue"


@kind
class LessonRecurred(KbEvent):
    """A submitted problem lesson matches (similarity ≥ 0.40 and a tag or topic in common, or
    ≥ 0.60) an `actioned` or `verified` lesson of another project: the problem came back. kb
    reopens the older lesson (a `.reopened` transition by `kb`, the reason naming the new
    lesson) and records the recurrence once per pair (see duplicates and recurrence)."""

    TYPE = "lesson.recurred"
    SUBJECT = "lessons/{id}"

    id: str = Field(description="the older lesson")
    title: str = Field(description="the older lesson's title")
    project: str | None = Field(description="the older lesson's project")
    recurred_in: str = Field(description="the newer lesson")
    recurred_in_title: str
    recurred_in_project: str | None
    refers_to: str | None = Field(
        None,
        description="the newer lesson (see text about another "
        "document); absent from the oldest events",
    )
    recurrence_count: int = Field(description="how many recurrences the older lesson now has")
    score: float = Field(description="the similarity, 0..1")


@kind
class LessonVerificationDue(KbEvent):
    """An `audit.completed` asks the PMO to verify an actioned lesson of the audited project (a
    `verify_lesson` task; once while one is open)."""

    TYPE = "lesson.verification_due"
    SUBJECT = "lessons/{id}"

    id: str
    title: str
    project: str
    audit: str = Field(description="the `auditId`")


@kind
class BriefingAnswered(KbEvent):
    """Someone answered for one lesson of a briefing, or changed their answer."""

    TYPE = "briefing.answered"
    SUBJECT = "lessons/{id}"

    id: str = Field(description="the lesson")
    briefing: int = Field(description="the briefing's number")
    project: str
    response: Literal["applies", "not_applicable", "action_taken"]
    actor: str
