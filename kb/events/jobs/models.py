"""The handler runs that act on the log, and the cursor of the dispatcher that creates them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kb.core.time import utcnow
from kb.db import Base, UTCDateTime
from kb.events.log.models import SeqType


class HandlerRun(Base):
    """One handler acting on one event: at least once, retried, dead-lettered when it keeps
    failing. Webhook deliveries are runs of the handler `webhook:<subscription id>`."""

    __tablename__ = "handler_runs"
    __table_args__ = (
        UniqueConstraint("event_seq", "handler", name="uq_handler_runs_event_handler"),
        Index("ix_handler_runs_due", "lane", "status", "next_attempt_at"),
        Index("ix_handler_runs_partition", "handler", "partition_key", "status"),
        Index("ix_handler_runs_receiver", "receiver", "status"),
    )

    id: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    event_seq: Mapped[int] = mapped_column(ForeignKey("events.seq"), index=True)
    handler: Mapped[str] = mapped_column(String(80))
    partition_key: Mapped[str | None] = mapped_column(String(64))
    #: pending | running | done | dead | cancelled (its subscription was disabled)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    #: "kb" (kb's own handlers) or "deliveries" (webhooks, e-mail): claimed by separate threads
    lane: Mapped[str] = mapped_column(String(16), default="kb", server_default="kb")
    #: the host a delivery talks to: at most a few attempts per receiver run at once
    receiver: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Cursor(Base):
    """How far a log follower shared by every host (the handler dispatcher) has read."""

    __tablename__ = "cursors"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(SeqType, default=0)
