"""Briefings: the lessons kb pushed to a project manager, and their answers."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from kb.api.models.common import Answer, Body, Timestamp
from kb.briefings.models import RESPONSES, Briefing, BriefingItem
from kb.core.attributes import alike

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
        names = "rank reason response responded_by responded_at"
        return cls(**alike(item, names, lesson=item.lesson_id, title=title))


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
            **alike(briefing, "id trigger phase created_at recipient"),
            project=briefing.project_key,
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
