"""Briefings: the lessons kb pushed to a project manager, and their answers."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from kb.api.models.common import Answer, Body, Timestamp
from kb.briefings.models import RESPONSES, Briefing, BriefingItem

Response = Literal[RESPONSES]  # type: ignore[valid-type]


class BriefingLesson(Answer):
    lesson: str
    title: str
    rank: int
    reason: str = Field(description="Why kb chose this lesson, in plain language")
    response: Response | None
    responded_by: str | None
    responded_at: Timestamp | None

    @classmethod
    def of(cls, item: BriefingItem, title: str) -> BriefingLesson:
        return cls(
            lesson=item.lesson_id,
            title=title,
            rank=item.rank,
            reason=item.reason,
            response=item.response,
            responded_by=item.responded_by,
            responded_at=item.responded_at,
        )


class BriefingAnswer(Answer):
    id: int
    project: str
    trigger: str = Field(description="started, or gate:<gate id>")
    phase: str | None
    created_at: Timestamp
    recipient: str | None
    words: list[str]
    lessons: list[BriefingLesson] = Field(description="only the lessons you may read")

    @classmethod
    def of(cls, briefing: Briefing, docs: dict) -> BriefingAnswer:
        return cls(
            id=briefing.id,
            project=briefing.project_key,
            trigger=briefing.trigger,
            phase=briefing.phase,
            created_at=briefing.created_at,
            recipient=briefing.recipient,
            words=list(briefing.words or []),
            lessons=[
                BriefingLesson.of(i, docs[i.lesson_id].title)
                for i in briefing.items
                if i.lesson_id in docs
            ],
        )


class BriefingList(Answer):
    project: str
    briefings: list[BriefingAnswer]


class BriefingResponse(Body):
    lesson: str
    response: Response
