from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kb.core.time import utcnow
from kb.db import Base

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
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
    time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    partition_key: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
