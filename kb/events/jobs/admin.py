"""Looking at the event log and acting on it: list, show, retry, replay."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import Session

from kb.core.errors import NotFound, ValidationError
from kb.core.time import utcnow
from kb.db import Database
from kb.events.jobs.dispatch import CURSOR, placement, runs_for
from kb.events.jobs.models import Cursor, HandlerRun
from kb.events.jobs.registry import Registry
from kb.events.log.models import Event
from kb.events.log.news import announce

#: the state of an event as a whole, from its runs
STATUSES = ("ignored", "pending", "dead", "done", "none")


@dataclass
class EventView:
    event: Event
    runs: list[HandlerRun]

    @property
    def status(self) -> str:
        if self.event.is_ignored:
            return "ignored"
        states = {run.status for run in self.runs}
        if not states:
            return "none"  # nobody subscribes to it
        if "dead" in states:
            return "dead"
        if states & {"pending", "running"}:
            return "pending"
        return "done"


def _status_clause(status: str):  # noqa: ANN202
    run = HandlerRun
    has = lambda *states: exists().where(run.event_seq == Event.seq, run.status.in_(states))  # noqa: E731
    return {
        "ignored": Event.is_ignored.is_(True),
        "pending": and_(~has("dead"), has("pending", "running")),
        "dead": has("dead"),
        "done": and_(has("done", "cancelled"), ~has("dead", "pending", "running")),
        "none": and_(Event.is_ignored.is_(False), ~exists().where(run.event_seq == Event.seq)),
    }[status]


def list_events(
    db: Database,
    *,
    type: str | None = None,  # noqa: A002
    status: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[EventView]:
    """Newest first; `before` pages backwards by sequence number."""
    if status is not None and status not in STATUSES:
        raise ValidationError(f"`status` must be one of: {', '.join(STATUSES)}.", field="status")
    query = select(Event).order_by(Event.seq.desc()).limit(max(1, min(limit, 500)))
    if type:
        query = query.where(Event.type == type)
    if status:
        query = query.where(_status_clause(status))
    if before:
        query = query.where(Event.seq < before)
    with db.read() as s:
        events = list(s.scalars(query))
        return _with_runs(s, events)


def _with_runs(s: Session, events: list[Event]) -> list[EventView]:
    runs: dict[int, list[HandlerRun]] = {e.seq: [] for e in events}
    if events:
        for run in s.scalars(
            select(HandlerRun).where(HandlerRun.event_seq.in_(runs)).order_by(HandlerRun.id)
        ):
            runs[run.event_seq].append(run)
    return [EventView(e, runs[e.seq]) for e in events]


def get_event(db: Database, seq: int) -> EventView:
    with db.read() as s:
        event = s.get(Event, seq)
        if event is None:
            raise NotFound(f"There is no event {seq}.")
        return _with_runs(s, [event])[0]


def _reset(s: Session, condition) -> int:  # noqa: ANN001
    return s.execute(
        update(HandlerRun)
        .where(condition)
        .values(
            status="pending",
            attempts=0,
            next_attempt_at=utcnow(),
            lease_owner=None,
            lease_until=None,
            finished_at=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount


def retry_event(db: Database, seq: int) -> int:
    """Give the dead runs of one event a fresh set of attempts; returns how many."""
    get_event(db, seq)
    with db.write() as s:
        announce(s)  # a `kb worker` takes them at once, not at its next look
        return _reset(s, and_(HandlerRun.event_seq == seq, HandlerRun.status == "dead"))


def replay(db: Database, registry: Registry, *, from_seq: int, type: str | None = None) -> int:  # noqa: A002
    """Run the handlers again for every event from `from_seq` (handlers are idempotent),
    including handlers registered after the event was first dispatched. Returns the number of
    runs scheduled."""
    if from_seq < 1:
        raise ValidationError("Replay starts at sequence number 1 or later.", field="from")
    scheduled = 0
    with db.write() as s:
        # Only events the dispatcher has reached: it creates the runs of the later ones itself
        # (replaying those too made it insert a run that already existed). The lock keeps it
        # from moving meanwhile.
        cursor = s.get(Cursor, CURSOR, with_for_update=True)
        announce(s)
        reached = cursor.position if cursor is not None else 0
        query = select(Event).where(
            Event.seq >= from_seq, Event.seq <= reached, Event.is_ignored.is_(False)
        )
        if type:
            query = query.where(Event.type == type)
        for event in s.scalars(query.order_by(Event.seq).execution_options(yield_per=500)):
            wanted = set(runs_for(s, registry, event))
            have = set(
                s.scalars(select(HandlerRun.handler).where(HandlerRun.event_seq == event.seq))
            )
            now = utcnow()
            for name in sorted(wanted - have):
                s.add(
                    HandlerRun(
                        event_seq=event.seq,
                        handler=name,
                        **placement(s, registry, name, event),
                        status="pending",
                        attempts=0,
                        next_attempt_at=now,
                    )
                )
            scheduled += len(wanted - have)
            scheduled += _reset(
                s, and_(HandlerRun.event_seq == event.seq, HandlerRun.status.in_(("done", "dead")))
            )
    return scheduled
