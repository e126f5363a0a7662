"""A lesson's actions (kb.actions)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from kb.actions.models import TARGET_KINDS
from kb.actions.services import ACTION_KINDS, MAX_TEXT
from kb.api.models.common import Answer, Body, Day, DayText, Timestamp
from kb.core.attributes import alike
from kb.core.time import utcnow
from kb.overdue import services as overdue


class Action(Answer):
    id: int
    lesson: str
    description: str
    owner: str | None
    due_on: Day | None
    target_kind: Literal[TARGET_KINDS]  # type: ignore[valid-type]
    target_ref: str | None
    status: Literal["open", "closed"]
    created_by: str | None
    created_at: Timestamp | None
    closed_by: str | None
    closed_at: Timestamp | None
    closing_note: str | None
    may_close: bool = Field(description="whether you may close it")
    overdue_since: Day | None = Field(
        None, description="the due date, when the action is open and past it"
    )

    @classmethod
    def of(cls, action, *, may_close: bool) -> Action:  # noqa: ANN001
        late = overdue.action_overdue(action, utcnow().date())
        names = (
            "id description owner due_on target_kind target_ref status created_by created_at "
            "closed_by closed_at closing_note"
        )
        return cls(
            **alike(action, names),
            lesson=action.lesson_id,
            overdue_since=action.due_on if late else None,
            may_close=may_close,
        )


class ActionList(Answer):
    actions: list[Action]


class ActionWrite(Body):
    """An action, or `{"no_action": true, "rationale": ...}`: the lesson needs none."""

    description: str | None = Field(None, max_length=MAX_TEXT)
    owner: str | None = Field(None, max_length=120)
    due_on: DayText | None = None
    target_kind: Literal[ACTION_KINDS] | None = None  # type: ignore[valid-type]
    target_ref: str | None = Field(None, description="a process model id (must exist) or a link")
    no_action: bool = False
    rationale: str | None = Field(None, max_length=MAX_TEXT)


class ActionClose(Body):
    note: str | None = Field(None, max_length=MAX_TEXT)
