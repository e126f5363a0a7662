"""The statements of a claim (kb.events.jobs.worker), built once per lane and database.

Built afresh for every claim, their expressions (an alias, a dozen conditions, three
subqueries) cost more of a claim's CPU than the database's work. Everything that changes
between claims is a parameter: `now`, `limit`, `ids` (the runs the read found), `cap` (the
attempts at once per receiver), `owner` and `until` (the lease).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import Select, Update, and_, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from kb.events.jobs.models import HandlerRun
from kb.events.jobs.registry import KB_LANE

UNFINISHED = ("pending", "running")


@dataclass(frozen=True)
class Claim:
    #: due runs whose lease expired (by id), then pending runs in the order they fell due
    searches: tuple[Select, Select]
    #: lease `ids` to `owner` if still due and free; returns their ids
    take_again: Update
    #: lease up to `limit` runs of each search; returns their ids, handlers and events
    takes: tuple[Update, Update]


@cache
def claim_statements(lane: str | None, postgresql: bool) -> Claim:
    """The statements of a claim of `lane` (None: any lane)."""
    now = bindparam("now", type_=HandlerRun.lease_until.type)
    free = _free(now, lane)
    in_lane = free if lane is None else and_(HandlerRun.lane == lane, free)
    expired = and_(HandlerRun.status == "running", HandlerRun.lease_until < now)
    pending = and_(HandlerRun.status == "pending", HandlerRun.next_attempt_at <= now)
    # Each search walks its part of ix_handler_runs_due (lane, status, next_attempt_at) in
    # order and stops at `limit`: a claim costs as much with 10 runs waiting as with 10,000.
    # (Ordered by id over both statuses, it read and sorted every unfinished run.)
    limit = bindparam("limit")
    searches = (
        select(HandlerRun.id).where(expired, in_lane).order_by(HandlerRun.id).limit(limit),
        select(HandlerRun.id)
        .where(pending, in_lane)
        .order_by(HandlerRun.next_attempt_at, HandlerRun.id)
        .limit(limit),
    )
    # The runs the read found, unless another worker took them meanwhile (the conditions,
    # checked again for these ids only, cost little: without the lane, the database finds
    # them by id).
    ids = bindparam("ids", expanding=True)
    again = select(HandlerRun.id).where(HandlerRun.id.in_(ids), or_(expired, pending), free)
    return Claim(
        searches,
        _take(again, postgresql),
        (_take(searches[0], postgresql), _take(searches[1], postgresql)),
    )


def _take(runs: Select, postgresql: bool) -> Update:
    """Lease the runs `runs` selects (those another worker holds locked on PostgreSQL are
    skipped); returns (id, handler, event_seq) of each."""
    if postgresql:
        runs = runs.with_for_update(skip_locked=True)
    return (
        update(HandlerRun)
        .where(HandlerRun.id.in_(runs.scalar_subquery()))
        .values(
            status="running",
            lease_owner=bindparam("owner"),
            lease_until=bindparam("until", type_=HandlerRun.lease_until.type),
            attempts=HandlerRun.attempts + 1,
        )
        .returning(HandlerRun.id, HandlerRun.handler, HandlerRun.event_seq)
        .execution_options(synchronize_session=False)
    )


def _free(now: ColumnElement, lane: str | None) -> ColumnElement[bool]:
    """Runs no older unfinished run of theirs holds back and, unless `lane` is kb's own,
    whose receiver has fewer than `cap` attempts running."""
    older = aliased(HandlerRun)
    blocked = exists().where(
        older.handler == HandlerRun.handler,
        older.partition_key == HandlerRun.partition_key,
        older.id < HandlerRun.id,
        older.status.in_(UNFINISHED),
    )
    conditions = [or_(HandlerRun.partition_key.is_(None), ~blocked)]
    if lane != KB_LANE:
        busy = (
            select(HandlerRun.receiver)
            .where(
                HandlerRun.receiver.is_not(None),
                HandlerRun.status == "running",
                HandlerRun.lease_until >= now,
            )
            .group_by(HandlerRun.receiver)
            .having(func.count() >= bindparam("cap"))
        )
        conditions.append(or_(HandlerRun.receiver.is_(None), HandlerRun.receiver.not_in(busy)))
    return and_(*conditions)
