"""A briefing (one per `project.started` / `project.stagegate.passed` event) and its lessons."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.core.time import utcnow
from kb.db import Base, UTCDateTime
from kb.events.log.models import SeqType

RESPONSES = ("applies", "not_applicable", "action_taken")


class Briefing(Base):
    __tablename__ = "briefings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_key: Mapped[str] = mapped_column(String(32), index=True)
    #: started | gate:<gate id>
    trigger: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: the event that asked for it: a replayed event finds its briefing and does nothing
    source_event_seq: Mapped[int] = mapped_column(SeqType, unique=True)
    #: the project manager's username when kb knows them, else their e-mail address
    recipient: Mapped[str | None] = mapped_column(String(254))
    #: the plain words the lessons were chosen by
    words: Mapped[list] = mapped_column(JSON, default=list)
    phase: Mapped[str | None] = mapped_column(String(64))

    items: Mapped[list[BriefingItem]] = relationship(
        back_populates="briefing",
        lazy="selectin",
        order_by="BriefingItem.rank",
        cascade="all, delete-orphan",
    )


class BriefingItem(Base):
    __tablename__ = "briefing_items"

    briefing_id: Mapped[int] = mapped_column(
        ForeignKey("briefings.id", ondelete="CASCADE"), primary_key=True
    )
    lesson_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    #: None | applies | not_applicable | action_taken
    response: Mapped[str | None] = mapped_column(String(16))
    responded_by: Mapped[str | None] = mapped_column(String(120))
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    briefing: Mapped[Briefing] = relationship(back_populates="items")
