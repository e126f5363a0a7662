"""The event log: one row per CloudEvent, kb's own and inbound ones alike."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
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
    #: the producer that sent an inbound event; None for kb's own events (the table is
    #: inbound's, named by string so that the log imports nothing above it)
    producer_id: Mapped[int | None] = mapped_column(
        ForeignKey("producers.id", name="fk_events_producer_id")
    )
    #: an inbound event of a type kb does not know: kept, acted on by nobody
    is_ignored: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
