"""The tasks table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kb.core.time import utcnow
from kb.db import Base, UTCDateTime


class Task(Base):
    """Something a person must do, e.g. the PMO confirming a business-as-usual owner."""

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_kind_subject", "kind", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: confirm_bau_owner | verify_lesson | revalidate_lesson | review_process_model
    kind: Mapped[str] = mapped_column(String(40))
    #: what it is about, e.g. processes/PM-0005
    subject: Mapped[str] = mapped_column(String(200))
    assignee: Mapped[str] = mapped_column(String(120))
    #: open | done
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    #: who marked it done, when, and what they noted (the PMO's task page)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
