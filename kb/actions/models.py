"""An action taken on a lesson (or the recorded rationale for taking none)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kb.core.time import utcnow
from kb.db import Base, UTCDateTime
from kb.documents.models import document_column

#: what an action changes; `none` is the recorded rationale for taking no action
TARGET_KINDS = ("process_model", "template", "checklist", "training", "policy", "none")


class Action(Base):
    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lesson_id: Mapped[str] = document_column()
    description: Mapped[str] = mapped_column(Text)
    #: who does it: a username or a name
    owner: Mapped[str] = mapped_column(String(120))
    due_on: Mapped[date | None] = mapped_column(Date)
    #: one of TARGET_KINDS
    target_kind: Mapped[str] = mapped_column(String(16))
    #: e.g. "PM-0005" (an existing process model) or a URL
    target_ref: Mapped[str | None] = mapped_column(String(500))
    #: open | closed
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_by: Mapped[str | None] = mapped_column(String(120))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closing_note: Mapped[str | None] = mapped_column(Text)
