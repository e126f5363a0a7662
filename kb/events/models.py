"""The event log, the handler runs that act on it, producers (inbound) and subscriptions
(outbound webhooks)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import false

from kb.core.time import utcnow
from kb.db import Base, UTCDateTime

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class Event(Base):
    """One CloudEvent, emitted by kb or received from a project tool. Append-only.

    `seq` is the global order followers (search index, handlers) use; (source, id) is the
    deduplication key, forever.
    """

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("source", "event_id", name="uq_events_source_id"),)

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(200))
    event_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(200), index=True)
    subject: Mapped[str | None] = mapped_column(String(200))
    time: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    partition_key: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: other CloudEvents attributes (datacontenttype, dataschema, extensions)
    attributes: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    #: the producer that sent an inbound event; None for kb's own events
    producer_id: Mapped[int | None] = mapped_column(
        ForeignKey("producers.id", name="fk_events_producer_id")
    )
    #: an inbound event of a type kb does not know: kept, acted on by nobody
    is_ignored: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Producer(Base):
    """A project tool allowed to send events: signs with `secret` or sends `token`."""

    __tablename__ = "producers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    #: whsec_... (the HMAC key must be kept to verify signatures)
    secret: Mapped[str] = mapped_column(String(200))
    #: sha256 hex of the bearer token (the token itself is shown once)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class HandlerRun(Base):
    """One handler acting on one event: at least once, retried, dead-lettered when it keeps
    failing. Webhook deliveries are runs of the handler `webhook:<subscription id>`."""

    __tablename__ = "handler_runs"
    __table_args__ = (
        UniqueConstraint("event_seq", "handler", name="uq_handler_runs_event_handler"),
        Index("ix_handler_runs_due", "status", "next_attempt_at"),
        Index("ix_handler_runs_partition", "handler", "partition_key", "status"),
    )

    id: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    event_seq: Mapped[int] = mapped_column(ForeignKey("events.seq"), index=True)
    handler: Mapped[str] = mapped_column(String(80))
    partition_key: Mapped[str | None] = mapped_column(String(64))
    #: pending | running | done | dead
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Subscription(Base):
    """An outbound webhook: events whose type matches `types` are POSTed to `url`."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80))
    url: Mapped[str] = mapped_column(String(500))
    #: type patterns, e.g. ["org.pmo.kb.lesson.*"]; empty = every kb event
    types: Mapped[list] = mapped_column(JSON, default=list)
    secret: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    #: who created it: a subscriber never receives what this user may not read
    owner: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DeliveryAttempt(Base):
    """The delivery log: one row per HTTP attempt of a webhook run."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("handler_runs.id"), index=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    event_seq: Mapped[int] = mapped_column(ForeignKey("events.seq"))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))


class Cursor(Base):
    """How far a log follower shared by every host (the handler dispatcher) has read."""

    __tablename__ = "cursors"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(SeqType, default=0)
