"""The lessons review of a closed project (one per project) and the lessons recorded in it
(the PMO's follow-up tasks: kb.tasks)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kb.core.time import utcnow
from kb.db import Base, UTCDateTime
from kb.events.log.models import SeqType


class Review(Base):
    """Opened by `project.closed` (one per project), or by `audit.completed` when the
    audited project has no open review (one per audit); due REVIEW_DUE_DAYS later."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("project_key", "origin", name="uq_reviews_project_origin"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_key: Mapped[str] = mapped_column(String(32))
    #: closure (the project's closure review) | audit:<auditId>
    origin: Mapped[str] = mapped_column(String(220), default="closure")
    #: open | completed
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    due_on: Mapped[date] = mapped_column(Date)
    #: the project manager's e-mail address
    facilitator: Mapped[str | None] = mapped_column(String(254))
    participants: Mapped[list] = mapped_column(JSON, default=list)
    closure_type: Mapped[str | None] = mapped_column(String(16))
    outcome_summary: Mapped[str] = mapped_column(Text, default="")
    #: 0 not overdue, 1 the project manager was told, 2 the PMO was told
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_by: Mapped[str | None] = mapped_column(String(120))
    #: the event that opened it
    source_event_seq: Mapped[int | None] = mapped_column(SeqType)


IMPACTS = ("went_well", "to_improve")
SOURCES = ("workshop", "audit")


class ReviewLesson(Base):
    """A lesson recorded in a review: in the closure workshop, or drafted from an audit
    finding. (audit_id, finding_id) is the ledger that keeps a finding from becoming two
    lessons; an audit of no project links its lessons to no review."""

    __tablename__ = "review_lessons"
    __table_args__ = (
        UniqueConstraint("review_id", "lesson_id", name="uq_review_lessons_review_lesson"),
        UniqueConstraint("audit_id", "finding_id", name="uq_review_lessons_finding"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    review_id: Mapped[int | None] = mapped_column(
        ForeignKey("reviews.id", ondelete="CASCADE"), index=True
    )
    lesson_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    #: went_well | to_improve
    impact: Mapped[str] = mapped_column(String(16))
    #: workshop | audit
    source: Mapped[str] = mapped_column(String(16), default="workshop")
    audit_id: Mapped[str | None] = mapped_column(String(200))
    finding_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: set when the draft was taken out of the review (kb.reviews.drafts.withdraw_draft)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by: Mapped[str | None] = mapped_column(String(200))
