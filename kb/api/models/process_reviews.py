"""A process model's review cycle: "reviewed, no change" and the models a person is in."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from kb.api.models.common import Answer, Day, Timestamp
from kb.overdue.health import HEALTHS

Health = Literal[HEALTHS]  # type: ignore[valid-type]
HEALTH_NOTE = (
    "red: past its next review; amber: due within 30 days; green: later; null: retired or "
    "never reviewed"
)


class Reviewed(Answer):
    id: str = Field(description="the process model")
    reviewed_by: str
    reviewed_on: Day = Field(description="the UTC day of the review: its new `last_reviewed`")
    reviewed_at: Timestamp
    revision: int = Field(description="the model's revision after the review")
    next_review: Day
    health: Health | None = Field(description=HEALTH_NOTE)


class Change(Answer):
    number: int = Field(description="the revision")
    author: str | None
    message: str = Field(description="its change note")
    created_at: Timestamp


class LastLook(Answer):
    seen_at: Timestamp = Field(description="when you last opened the model's page")
    revision: int = Field(description="the revision you saw")
    model_version: str | None = Field(description="the process version you saw")


class MyProcess(Answer):
    id: str
    title: str
    model_version: str | None
    owner: str | None
    custodian: str | None
    why: list[str] = Field(
        description='why you are in it: "role Project Manager" (a lane or a `roles:` name '
        'matching your role or a group of yours), "owner", "expert"'
    )
    health: Health | None = Field(description=HEALTH_NOTE)
    next_review: Day | None
    last_look: LastLook | None = Field(description="null: you have not opened its page yet")
    changed: bool = Field(description="changed since you last looked")
    changes: list[Change] = Field(description="the revisions since you last looked, newest first")
    page: str = Field(description="the model's page")


class MyProcesses(Answer):
    processes: list[MyProcess]
