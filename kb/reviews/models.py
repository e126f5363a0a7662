"""The lessons review of a closed project (one per project) and the PMO's follow-up tasks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kb.core.time import utcnow
from kb.db import Base
from kb.events.models import SeqType


class Review(Base):
    """Opened by `project.closed`; due REVIEW_DUE_DAYS after the closure date."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_key: Mapped[str] = mapped_column(String(32), unique=True)
    #: open | completed
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    due_on: Mapped[date] = mapped_column(Date)
    #: the project manager's e-mail address
    facilitator: Mapped[str | None] = mapped_column(String(254))
    participants: Mapped[list] = mapped_column(JSON, default=list)
    closure_type: Mapped[str | None] = mapped_column(String(16))
    outcome_summary: Mapped[str] = mapped_column(Text, default="")
    #: 0 not overdue, 1 the project manager was told, 2 the PMO was told
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_by: Mapped[str | None] = mapped_column(String(120))
    #: the event that opened it
    source_event_seq: Mapped[int | None] = mapped_column(SeqType)


class Task(Base):
    """Something a person must do, e.g. the PMO confirming a business-as-usual owner."""

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_kind_subject", "kind", "subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: confirm_bau_owner
    kind: Mapped[str] = mapped_column(String(40))
    #: what it is about, e.g. processes/PM-0005
    subject: Mapped[str] = mapped_column(String(200))
    assignee: Mapped[str] = mapped_column(String(120))
    #: open | done
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
