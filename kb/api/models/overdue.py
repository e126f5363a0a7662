"""Lists across lessons and projects: the actions and the open reviews, with what is overdue."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from kb.api.models.actions import Action
from kb.api.models.common import Answer, Day, Query
from kb.params import FLAGS

ACTION_STATUSES = ("open", "closed", "overdue", "any")


class ActionsQuery(Query):
    status: Literal[ACTION_STATUSES] = Field(  # type: ignore[valid-type]
        "open", description="overdue: open and past the due date"
    )
    owner: str | None = Field(None, max_length=120)
    mine: Literal[tuple(FLAGS)] = Field("0", description="1: only yours")  # type: ignore[valid-type]


class ActionRow(Action):
    lesson_title: str
    project: str | None


class ActionRows(Answer):
    actions: list[ActionRow]


class ReviewsQuery(Query):
    overdue: Literal[tuple(FLAGS)] = Field(  # type: ignore[valid-type]
        "0", description="1: only those past their due date"
    )


class ReviewRow(Answer):
    id: int
    project: str
    due_on: Day
    facilitator: str | None
    status: Literal["open"]
    overdue_since: Day | None = Field(description="the due date, when it has passed")


class ReviewRows(Answer):
    reviews: list[ReviewRow]
