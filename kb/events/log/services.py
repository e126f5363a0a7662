"""Append kb's own domain events to the log, inside the caller's transaction (outbox)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from kb.core.time import utcnow
from kb.db import LOG_APPENDED, NEWS
from kb.events.kinds import KB_SOURCE, KB_TYPE_PREFIX, KbEvent
from kb.events.log.models import Event
from kb.events.log.news import CHANNEL, sender

__all__ = [
    "KB_SOURCE",
    "KB_TYPE_PREFIX",
    "append_event",
    "append_events",
    "event_values",
    "events_after",
    "last_seq",
    "lock_log",
]
# Any constant: serialises event appends on PostgreSQL so that sequence numbers become
# visible in commit order and a follower reading `seq > last` never skips a late commit.
_PG_APPEND_LOCK = 0x6B62


def append_event(s: Session, kb_event: KbEvent, *, partition_key: str | None = None) -> Event:
    """Record one of kb's own events in the same transaction as the change it describes. Its
    class names the type and the subject; the partition key is its project unless given."""
    lock_log(s)
    event = Event(**event_values(kb_event, partition_key=partition_key))
    s.add(event)  # flushed with the change it describes
    return event


def append_events(s: Session, kb_events: list[KbEvent]) -> None:
    """append_event() for several events, in order, with one lock_log() (a round trip on
    PostgreSQL) and one INSERT: added to the session as objects they were flushed one
    statement each on SQLite, which cannot hand back their keys in order otherwise. The
    session's pending changes are flushed first, so the events follow the changes."""
    if not kb_events:
        return
    lock_log(s)
    s.flush()
    s.connection().execute(_INSERT, [event_values(kb_event) for kb_event in kb_events])


#: built once; no RETURNING, so that SQLite inserts the rows in one executemany
_INSERT = insert(Event)


def event_values(kb_event: KbEvent, *, partition_key: str | None = None) -> dict:
    """The columns of one of kb's own events (append_event; `kb import` inserts a batch's
    events with one statement after lock_log())."""
    return {
        "source": KB_SOURCE,
        "event_id": str(uuid.uuid4()),
        "type": kb_event.event_type,
        "subject": kb_event.subject,
        "time": utcnow(),
        "data": kb_event.data(),
        "partition_key": partition_key or kb_event.partition_key,
    }


def lock_log(s: Session) -> None:
    """Call before inserting into the log (kb's own events and inbound ones alike).

    On PostgreSQL, serialises appends until commit so that sequence numbers become visible in
    commit order: a follower reading `seq > last` then never skips a late commit. SQLite's
    BEGIN IMMEDIATE already serialises writers. (docs/architecture.md, "Decisions")
    Other processes' loops hear of the new events when it commits (kb.events.log.news), this
    process's index follower by Database.on_commit (LOG_APPENDED).
    """
    s.info[LOG_APPENDED] = s.info[NEWS] = True
    if s.get_bind().dialect.name == "postgresql":  # the lock and the news: one round trip
        s.execute(
            text("SELECT pg_advisory_xact_lock(:k), pg_notify(:channel, :sender)"),
            {"k": _PG_APPEND_LOCK, "channel": CHANNEL, "sender": sender()},
        )


#: built once: the index follower asks on every look
_LAST_SEQ = select(func.max(Event.seq))


def last_seq(s: Session) -> int:
    return s.scalar(_LAST_SEQ) or 0


def events_after(s: Session, seq: int, limit: int = 1000) -> list[Event]:
    return list(s.scalars(select(Event).where(Event.seq > seq).order_by(Event.seq).limit(limit)))
