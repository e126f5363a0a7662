"""The worker: claims due handler runs with leases, runs them, retries, dead-letters.

Claiming is one statement: UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) on
PostgreSQL, so several `kb worker` processes never take the same run; on SQLite the write
transaction (BEGIN IMMEDIATE) serialises claimers. A killed worker's lease expires and the
run is claimed again. Runs of one handler for one project (partition key) start in event
order: a run waits while an older unfinished run of the same handler and project exists.

Two lanes (registry.py): kb's own handlers are claimed only by the kb lane, deliveries only by
delivery threads (lanes.py), so a delivery waiting on a dead receiver never holds up a review.
Deliveries are claimed one at a time and at most `receiver_cap` of them run at once per
receiver host, over all workers: on PostgreSQL an advisory lock serialises delivery claims so
that the count and the claim cannot interleave (SQLite's write lock already does).
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import traceback
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import groupby

from sqlalchemy import bindparam, select, text, update

from kb.core.time import utcnow
from kb.db import LOG_APPENDED, Database
from kb.events.jobs.claims import claim_statements
from kb.events.jobs.dispatch import BATCH as DISPATCH_BATCH
from kb.events.jobs.dispatch import dispatch_in, dispatch_new, has_new
from kb.events.jobs.models import HandlerRun
from kb.events.jobs.registry import DELIVERY_LANE, KB_LANE, Cancelled, GiveUp, Handler, Registry
from kb.events.log.models import Event

log = logging.getLogger(__name__)
#: delivery attempts at once per receiver host, over all workers (KB_DELIVERIES_PER_RECEIVER)
RECEIVER_CAP = 2
# Any constant: serialises delivery claims on PostgreSQL (the per-receiver count, then the claim)
_PG_DELIVERY_CLAIM_LOCK = 0x6B63
#: kb-lane runs per claim, run in one write transaction, which holds the write lock (SQLite)
#: and the log's append lock (PostgreSQL) that ingest waits for: 100 drained 10 % faster than
#: 50 but halved batch ingest on PostgreSQL while the worker drained (docs/architecture.md)
BATCH = 50


class Worker:
    def __init__(
        self,
        db: Database,
        registry: Registry,
        *,
        name: str | None = None,
        lease: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
        receiver_cap: int = RECEIVER_CAP,
    ):
        self.db = db
        self.receiver_cap = max(1, receiver_cap)
        self.registry = registry
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 10000}"
        self.lease = timedelta(seconds=lease)
        self.clock = clock
        #: time-driven work run at the start of every pass (e.g. the overdue sweep, which acts
        #: at most once a minute); domains add theirs from the application context
        self.periodic: list[Callable[[datetime], object]] = []
        #: called after a pass created delivery runs (lanes.py: wakes the delivery threads;
        #: a pass that made none leaves them asleep, rather than each running a claim query)
        self.on_dispatch: list[Callable[[], object]] = []

    # -- one pass ---------------------------------------------------------------------

    def run_pending(self, max_runs: int = 1000, batch: int = BATCH) -> int:
        """Both lanes in the calling thread, kb's own first (`kb worker --once`, tests)."""
        done = self.run_kb_lane(max_runs, batch)
        return done + self.run_deliveries(max_runs - done)

    def run_kb_lane(self, max_runs: int = 1000, batch: int = BATCH) -> int:
        """Sweeps first, then dispatch new events, then run kb's own due handler runs until
        none is left (or max_runs); returns how many ran."""
        return self._kb_pass(max_runs, batch)[0]

    def step(self) -> bool:
        """The kb lane's loop step (lanes.py): a pass, then whether another may find work at
        once: yes when its runs appended events (the next pass dispatches them). One that left
        nothing due says no: its loop then waits for the next commit (or its interval) instead
        of a pass that looks and finds nothing, as costly as a pass handling one event."""
        return self._kb_pass(1000, BATCH)[1]

    def _kb_pass(self, max_runs: int, batch: int) -> tuple[int, bool]:
        """run_kb_lane(): (runs done, whether more may be due: see step())."""
        for sweep in self.periodic:
            sweep(self.clock())
        lanes: set[str] = set()
        read, done, more, appended = 0, 0, True, False
        if has_new(self.db):
            if max_runs > 0:  # the usual case: the pass's one write transaction
                read, done, more, appended = self._dispatch_and_run(min(batch, max_runs), lanes)
            else:
                read = DISPATCH_BATCH
        # a dispatch that read fewer than its batch read all there was: events committed
        # since wake the loop, whose next pass dispatches them
        while read == DISPATCH_BATCH:
            read = dispatch_new(self.db, self.registry, self.clock(), lanes)
        if DELIVERY_LANE in lanes:
            for callback in self.on_dispatch:
                callback()
        while more and done < max_runs:
            claimed = self.claim(min(batch, max_runs - done), lane=KB_LANE)
            if not claimed:
                break
            self.execute_many(claimed)
            done += len(claimed)
            appended = True  # (or not: a pass that looks costs little next to these runs)
        return done, appended or done >= max_runs

    def _dispatch_and_run(
        self, limit: int, lanes: set, *, one_by_one: bool = False
    ) -> tuple[int, int, bool, bool]:
        """Dispatch the new events, claim up to `limit` due runs of kb's lane and run the
        transactional ones, all in one write transaction (a pass for one event had three,
        and two reads: most of its time, docs/architecture.md); the others run after it, one
        by one. Returns (events read, runs claimed, whether more runs may be due, whether
        the runs may have appended events to the log). When a run
        fails, the transaction keeps nothing and is done again with a savepoint per run, so
        that a failing run rolls back only itself (as execute_many does)."""
        sql = claim_statements(KB_LANE, not self.db.is_sqlite)
        now = self.clock()
        params = {"now": now, "owner": self.name, "until": now + self.lease}
        found: Counter[str] = Counter()  # runs created per lane
        failed: list[tuple[int, Exception]] = []
        try:
            with self.db.write() as s:
                dispatched = {e.seq: e for e in dispatch_in(s, self.registry, now, found)}
                claimed = []
                for take in sql.takes:  # the statements claim() takes with
                    if len(claimed) < limit:
                        claimed += s.connection().execute(
                            take, params | {"limit": limit - len(claimed)}
                        )
                handlers = {run.id: self.registry.resolve(run.handler) for run in claimed}
                together = sorted(
                    (r for r in claimed if handlers[r.id] and handlers[r.id].transactional),
                    key=lambda r: r.id,
                )
                # those of runs claimed again (a retry, a lost lease) are read
                events = {
                    r.event_seq: dispatched.get(r.event_seq) or s.get(Event, r.event_seq)
                    for r in together
                }
                if one_by_one:
                    failed = self._each_in_savepoint(s, together, handlers, events)
                else:
                    self._run_together(s, together, handlers, events)
                appended = bool(s.info.get(LOG_APPENDED))
        except Exception:
            if one_by_one:
                raise
            return self._dispatch_and_run(limit, lanes, one_by_one=True)
        lanes.update(found)
        for run_id, exc in failed:
            self._failed(run_id, handlers[run_id], exc)
        batched = {r.id for r in together}
        for run_id in sorted(r.id for r in claimed if r.id not in batched):
            self.execute(run_id)
            appended = True
        # the takes searched all that was due: more only when the claim was full, runs of new
        # events were held back (behind an older run of their project, done by now) or events
        # are left to dispatch
        held_back = found[KB_LANE] > sum(r.event_seq in dispatched for r in claimed)
        read = len(dispatched)
        more = len(claimed) >= limit or held_back or read == DISPATCH_BATCH
        return read, len(claimed), more, appended

    def run_deliveries(
        self, max_runs: int = 1000, stopping: Callable[[], bool] = lambda: False
    ) -> int:
        """Due deliveries, one claim at a time (each claim respects the per-receiver cap),
        until none can be claimed (or max_runs, or `stopping()`)."""
        done = 0
        while done < max_runs and not stopping() and (claimed := self.claim(1, lane=DELIVERY_LANE)):
            self.execute(claimed[0])
            done += 1
        return done

    def claim(self, limit: int, lane: str | None = None) -> list[int]:
        """Claim up to `limit` due runs of `lane` (None: any): runs whose lease expired, then
        pending runs in the order they fell due (the statements: claims.py)."""
        sql = claim_statements(lane, not self.db.is_sqlite)
        now = self.clock()
        params = {"now": now, "limit": limit, "cap": self.receiver_cap}
        with self.db.read() as s:  # nothing due (the idle case): no write transaction
            ids = [run for search in sql.searches for run in s.scalars(search, params)][:limit]
        if not ids:
            return []
        params |= {"ids": ids, "owner": self.name, "until": now + self.lease}
        with self.db.write() as s:
            if lane != KB_LANE and not self.db.is_sqlite:
                s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_DELIVERY_CLAIM_LOCK})
            # the runs just read, unless another worker took them meanwhile; then whatever
            # else is due
            claimed = list(s.scalars(sql.take_again, params))
            for take in sql.takes if len(claimed) < len(ids) else ():
                if len(claimed) < limit:
                    claimed += s.scalars(take, params | {"limit": limit - len(claimed)})
            return sorted(claimed)

    # -- runs -------------------------------------------------------------------------

    def execute_many(self, run_ids: list[int]) -> None:
        """Run claimed runs: the transactional ones together in one write transaction (a
        failing run rolls back only itself and is recorded after the commit), the others one
        by one. One transaction for a claim instead of two per
        run: the drain rate is bound by transactions, not by the handlers (figures:
        docs/architecture.md)."""
        with self.db.read() as s:
            runs = list(s.scalars(select(HandlerRun).where(HandlerRun.id.in_(run_ids))))
            events = {
                e.seq: e
                for e in s.scalars(select(Event).where(Event.seq.in_({r.event_seq for r in runs})))
            }
        handlers = {run.id: self.registry.resolve(run.handler) for run in runs}
        together = [r for r in runs if handlers[r.id] is not None and handlers[r.id].transactional]
        failed: list[tuple[int, Exception]] = []
        try:
            failed = self._in_one_transaction(together, handlers, events) if together else []
        except _LeaseLost:
            together = []
        for run_id, exc in failed:
            self._failed(run_id, handlers[run_id], exc)
        batched = {r.id for r in together}
        for run in sorted(runs, key=lambda r: r.id):
            if run.id not in batched:
                self.execute(run.id)

    def _in_one_transaction(
        self, runs: list[HandlerRun], handlers: dict, events: dict
    ) -> list[tuple[int, Exception]]:
        """The runs' handlers and their marks in one transaction; (run id, exception) of each
        run that failed. First without savepoints (a savepoint per run cost a fifth of the
        drain); when a run fails, all of it rolls back and the runs go again, each in a
        savepoint of its own, so that a failing run rolls back only itself."""
        ordered = sorted(runs, key=lambda r: r.id)
        try:
            with self.db.write() as s:
                self._run_together(s, ordered, handlers, events)
            return []
        except _LeaseLost:
            raise
        except Exception:  # noqa: BLE001, S110  (a run's failure: found out run by run below)
            pass
        with self.db.write() as s:
            return self._each_in_savepoint(s, ordered, handlers, events)

    def _each_in_savepoint(
        self,
        s,
        ordered: list,
        handlers: dict,
        events: dict,  # noqa: ANN001
    ) -> list[tuple[int, Exception]]:
        """Run each of `ordered` in a savepoint of its own in `s` and mark those that did not
        fail done; (run id, exception) of each that failed."""
        failed: list[tuple[int, Exception]] = []
        ok = []
        for run in ordered:
            try:
                with s.begin_nested():
                    handlers[run.id].fn(s, events[run.event_seq])
                ok.append(run.id)
            except Exception as exc:  # noqa: BLE001  (the run's failure, never the worker's)
                failed.append((run.id, exc))
        self._finish_all(s, ok)
        return failed

    def _run_together(self, s, ordered: list, handlers: dict, events: dict) -> None:  # noqa: ANN001
        """Run `ordered` (runs, or rows with their id, handler and event_seq) in `s` and mark
        them done; raises at the first failure."""
        # consecutive runs of one handler together when it can take several at once
        for _, group in groupby(ordered, key=lambda r: r.handler):
            group = list(group)
            handler = handlers[group[0].id]
            if handler.many is not None and len(group) > 1:
                handler.many(s, [events[run.event_seq] for run in group])
                continue
            for run in group:
                handler.fn(s, events[run.event_seq])
        self._finish_all(s, [run.id for run in ordered])

    def _finish_all(self, s, run_ids: list[int]) -> None:  # noqa: ANN001
        """Mark runs done in the transaction of their effects. A run whose lease was lost
        meanwhile (another worker took it over) is not marked, and neither is its effect
        kept: the whole transaction rolls back, and the runs that were still ours are run
        again one by one."""
        if not run_ids:
            return
        params = {"ids": run_ids, "owner": self.name, "now": self.clock()}
        if s.connection().execute(_FINISH, params).rowcount != len(run_ids):
            raise _LeaseLost

    # -- one run ----------------------------------------------------------------------

    def execute(self, run_id: int) -> str:
        """Run one claimed run; returns its new status."""
        with self.db.read() as s:
            run = s.get(HandlerRun, run_id)
            event = s.get(Event, run.event_seq)
        handler = self.registry.resolve(run.handler)
        if handler is None:
            return self._fail(run_id, None, f"no handler named {run.handler!r}", give_up=True)
        try:
            if handler.transactional:
                with self.db.write() as s:
                    # Mark done first, in the handler's own transaction: if the lease was
                    # lost meanwhile, nothing is changed and the effect is not applied twice.
                    if not self._finish(s, run_id):
                        return "lost"
                    handler.fn(s, event)
            else:
                handler.fn(self.db, run, event)
                with self.db.write() as s:
                    if not self._finish(s, run_id):
                        return "lost"
        except Exception as exc:  # a handler's failure is the run's, never the worker's
            return self._failed(run_id, handler, exc)
        return "done"

    def _failed(self, run_id: int, handler: Handler, exc: Exception) -> str:
        if isinstance(exc, GiveUp):
            return self._fail(run_id, handler, str(exc) or type(exc).__name__, give_up=True)
        if isinstance(exc, Cancelled):
            log.info("%s cancelled run %s: %s", handler.name, run_id, exc)
            return self._fail(run_id, handler, str(exc) or "cancelled", final="cancelled")
        log.warning("handler %s failed on run %s: %s", handler.name, run_id, exc)
        return self._fail(run_id, handler, _describe(exc))

    def _finish(self, s, run_id: int) -> bool:  # noqa: ANN001
        now = self.clock()
        result = s.execute(
            update(HandlerRun)
            .where(
                HandlerRun.id == run_id,
                HandlerRun.lease_owner == self.name,
                HandlerRun.status == "running",
            )
            .values(status="done", finished_at=now, lease_until=None, last_error=None)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    def _fail(
        self, run_id: int, handler: Handler | None, error: str, *, give_up=False, final="dead"
    ) -> str:
        now = self.clock()
        with self.db.write() as s:
            run = s.get(HandlerRun, run_id, with_for_update=True)
            if run.lease_owner != self.name or run.status != "running":
                return "lost"
            run.last_error = error[:4000]
            run.lease_until = None
            if final != "dead":
                run.status, run.finished_at = final, now
            elif give_up or handler is None or run.attempts >= handler.max_attempts:
                run.status, run.finished_at = "dead", now
            else:
                delay = handler.schedule[run.attempts - 1]
                # jitter spreads retries of many runs that failed together
                run.next_attempt_at = now + timedelta(seconds=delay * random.uniform(0.9, 1.1))
                run.status = "pending"
            return run.status


#: built once, run on the session's connection (the ORM's bulk update path cost more)
_FINISH = (
    update(HandlerRun)
    .where(
        HandlerRun.id.in_(bindparam("ids", expanding=True)),
        HandlerRun.lease_owner == bindparam("owner"),
        HandlerRun.status == "running",
    )
    .values(status="done", finished_at=bindparam("now"), lease_until=None, last_error=None)
)


class _LeaseLost(Exception):
    """A run of a batch was taken over by another worker: the batch's transaction rolls back."""


def _describe(exc: Exception) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"
