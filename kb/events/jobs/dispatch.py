"""The dispatcher: follows the event log once for all hosts and creates the handler runs.

Appending an event never needs to know its handlers: the change and its event commit
together (the outbox), and the dispatcher turns each new event into one run per interested
handler. A shared cursor row, locked while dispatching, makes every event dispatched once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session

from kb.core.time import utcnow
from kb.db import Database
from kb.events.jobs.models import Cursor, HandlerRun
from kb.events.jobs.registry import KB_LANE, Registry
from kb.events.log.models import Event
from kb.events.log.news import announce

CURSOR = "dispatch"
BATCH = 500


#: built once (a claim's statements likewise: claims.py); run on the session's connection,
#: without the ORM's unit of work, which cost more than the statements
_LOCK = select(Cursor.position).where(Cursor.name == CURSOR).with_for_update()
_MOVE = update(Cursor).where(Cursor.name == CURSOR).values(position=bindparam("position"))
_NEW = select(Event).where(Event.seq > bindparam("position")).order_by(Event.seq).limit(BATCH)
_INSERT_RUNS = insert(HandlerRun)


def _lock_cursor(s: Session) -> int:
    """The dispatcher's position, its row locked until the transaction ends."""
    position = s.connection().scalar(_LOCK)
    if position is not None:
        return position
    # The row is created once (migration); recreate it if missing, harmlessly under a race.
    s.execute(
        text("INSERT INTO cursors (name, position) VALUES (:n, 0) ON CONFLICT (name) DO NOTHING"),
        {"n": CURSOR},
    )
    return s.connection().scalar(_LOCK)


def runs_for(s: Session, registry: Registry, event: Event) -> list[str]:
    if event.is_ignored:
        return []
    names = [handler.name for handler in registry.subscribers(event.type)]
    for fanout in registry.fanouts:
        names.extend(fanout(s, event))
    return names


def partition_for(registry: Registry, run_name: str, event: Event) -> str | None:
    """The key that orders a run behind older runs of the same handler (None: unordered)."""
    handler = registry.resolve(run_name)
    return event.partition_key if handler is not None and handler.ordered else None


def placement(s: Session, registry: Registry, run_name: str, event: Event) -> dict:
    """Where a new run goes: its partition key, its lane and (deliveries) its receiver."""
    handler = registry.resolve(run_name)
    return {
        "partition_key": partition_for(registry, run_name, event),
        "lane": handler.lane if handler is not None else KB_LANE,
        "receiver": handler.receiver(s, run_name) if handler and handler.receiver else None,
    }


#: one statement (a query per look cost as much as the look's transaction)
_HAS_NEW = (
    select(Event.seq)
    .where(
        Event.seq
        > func.coalesce(select(Cursor.position).where(Cursor.name == CURSOR).scalar_subquery(), 0)
    )
    .limit(1)
)


def has_new(db: Database) -> bool:
    """Whether the log holds events the dispatcher has not read (a read: no write lock)."""
    with db.read() as s:
        return s.scalar(_HAS_NEW) is not None


def dispatch_new(
    db: Database, registry: Registry, now: datetime | None = None, lanes: set | None = None
) -> int:
    """Create the runs of events not dispatched yet; returns how many events were read and
    adds the lanes of the runs created to `lanes`. Nothing new: a read only, so an idle
    worker never takes the write lock."""
    if not has_new(db):
        return 0
    with db.write() as s:
        return len(dispatch_in(s, registry, now, lanes))


def dispatch_in(
    s: Session, registry: Registry, now: datetime | None = None, lanes: set | None = None
) -> list[Event]:
    """dispatch_new() in the write transaction `s`; the events read (the worker claims and
    runs the new runs in it too: kb.events.jobs.worker). `lanes` may be a Counter: it then
    counts the runs created per lane."""
    position = _lock_cursor(s)
    events = list(s.scalars(_NEW, {"position": position}))
    if not events:
        return []
    now = now or utcnow()
    rows = [
        {
            "event_seq": event.seq,
            "handler": name,
            **placement(s, registry, name, event),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for event in events
        for name in runs_for(s, registry, event)
    ]
    if rows:
        s.connection().execute(_INSERT_RUNS, rows)
        announce(s)  # other workers may take them
    if lanes is not None:
        lanes.update(row["lane"] for row in rows)
    s.connection().execute(_MOVE, {"position": events[-1].seq})
    return events
