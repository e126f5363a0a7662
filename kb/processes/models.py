"""The model register's history (one row per `org.pmo.process.changed` event), the governance
of a model (its published versions and the approvals of each review), the "reviewed, no
change" records of process models, and which revision of a model each user last saw."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kb.core.time import utcnow
from kb.db import Base, UTCDateTime
from kb.documents.models import document_column
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
    document_id: Mapped[str] = document_column()
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


class ProcessVersion(Base):
    """A published version of a process model: numbered 1, 2, 3 per model in the order kb
    published them, pointing at the revision that was published (kb.processes.versions)."""

    __tablename__ = "process_versions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = document_column()
    number: Mapped[int] = mapped_column(Integer)
    #: the revision number of the document that is this version
    revision: Mapped[int] = mapped_column(Integer)
    #: the `version:` label written into the front matter ("3.0")
    label: Mapped[str] = mapped_column(String(32))
    #: what changed, in the publisher's words
    summary: Mapped[str] = mapped_column(Text, default="")
    published_by: Mapped[str] = mapped_column(String(120))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProcessApproval(Base):
    """One step of a model's review: its submission (which opens a round), an approver's
    approval or request for changes. Only the decisions after the latest submission count."""

    __tablename__ = "process_approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = document_column()
    #: submitted | approved | changes_requested
    decision: Mapped[str] = mapped_column(String(20))
    #: the `approvers:` entries this decision answers for (a username, group names)
    approvers: Mapped[list] = mapped_column(JSON, default=list)
    decided_by: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
