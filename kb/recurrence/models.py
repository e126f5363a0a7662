"""A recurrence: a newer lesson (of another project) describing the problem of an older
actioned or verified lesson."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kb.core.time import utcnow
from kb.db import Base, UTCDateTime
from kb.documents.models import document_column
from kb.events.log.models import SeqType


class LessonRecurrence(Base):
    __tablename__ = "lesson_recurrences"
    __table_args__ = (
        UniqueConstraint("lesson_id", "recurred_in_id", name="uq_lesson_recurrences_pair"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: the older lesson, whose problem came back
    lesson_id: Mapped[str] = document_column()
    #: the newer lesson that describes it again
    recurred_in_id: Mapped[str] = document_column()
    #: similarity 0..1 when it was detected
    score: Mapped[float] = mapped_column(Float)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: the `lesson.submitted` event it was detected from
    event_seq: Mapped[int | None] = mapped_column(SeqType)
