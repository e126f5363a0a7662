"""What GET /api/lessons/<id> says about a lesson's likes: possible duplicates, recurrences
of its problem, related documents (kb.recurrence, the search index)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from kb.api.models.common import Answer, Timestamp


class Similar(Answer):
    id: str
    title: str
    status: str
    project: str | None
    score: float = Field(ge=0, le=1)


class Recurrence(Similar):
    direction: Literal["recurred_in", "recurrence_of"] = Field(
        description="recurred_in: a later lesson where its problem came back; recurrence_of: "
        "the older one"
    )
    detected_at: Timestamp


class Related(Answer):
    id: str
    type: str
    title: str
    status: str | None
    project: str | None
    score: float
