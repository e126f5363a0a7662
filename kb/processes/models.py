"""The model register's history (one row per `org.pmo.process.changed` event), the "reviewed,
no change" records of process models, and which revision of a model each user last saw."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kb.core.time import utcnow
from kb.db import Base, UTCDateTime
from kb.events.log.models import SeqType


class ProcessChange(Base):
    __tablename__ = "process_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: the repository's processId, upper-cased (kb ids are upper-case: PM-0007)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    #: the process version after the change, as text ("2.2")
    version: Mapped[str] = mapped_column(String(64))
    #: created | updated | retired
    change_type: Mapped[str] = mapped_column(String(16))
    effective_from: Mapped[date | None] = mapped_column(Date)
    changed_by: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    #: the event it records: a replayed event finds its row and does nothing
    event_seq: Mapped[int] = mapped_column(SeqType, unique=True)
    #: the kb process model it matched, None when kb has none
    document_id: Mapped[str | None] = mapped_column(String(32))
    #: the lessons flagged for revalidation
    flagged_lessons: Mapped[list] = mapped_column(JSON, default=list)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProcessReview(Base):
    """Someone confirmed that a process model still holds ("reviewed, no change"): who, when,
    and the revision that set its `last_reviewed` day."""

    __tablename__ = "process_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    reviewed_on: Mapped[date] = mapped_column(Date)
    reviewed_by: Mapped[str] = mapped_column(String(40))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: the model's revision after the review
    revision: Mapped[int] = mapped_column(Integer)


class ProcessView(Base):
    """The revision (and process version) of a model a user saw when they last opened its
    page: "changed since you last looked" compares with it."""

    __tablename__ = "process_views"

    username: Mapped[str] = mapped_column(String(40), primary_key=True)
    document_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    revision: Mapped[int] = mapped_column(Integer)
    model_version: Mapped[str | None] = mapped_column(String(32))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
