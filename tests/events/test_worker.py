"""The worker on a real database: dispatch, leases, retries, dead letters, ordering."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import select, text

from kb.core.time import utcnow
from kb.events.jobs import admin
from kb.events.jobs.dispatch import dispatch_new
from kb.events.jobs.models import HandlerRun
from kb.events.jobs.registry import GiveUp, Handler, Registry
from kb.events.jobs.worker import Worker
from kb.events.log.models import Event
from kb.events.log.services import lock_log


def an_event(type_: str, data: dict, partition: str | None = None) -> Event:
    return Event(
        source="urn:test",
        event_id=str(uuid.uuid4()),
        type=type_,
        time=utcnow(),
        data=data,
        partition_key=partition,
    )


def add_events(kb, n: int, *, type_="org.test.thing.happened", partition=None) -> list[int]:
    with kb.db.write() as s:
        lock_log(s)
        events = [an_event(type_, {"n": i}, partition) for i in range(n)]
        s.add_all(events)
        s.flush()
        return [e.seq for e in events]


def counter(kb) -> int:
    with kb.db.read() as s:
        return s.execute(text("SELECT value FROM counters WHERE name = 'effects'")).scalar() or 0


def count_effect(s, event) -> None:  # noqa: ANN001
    """Deliberately NOT idempotent: it shows how many times an effect was applied."""
    s.execute(
        text(
            "INSERT INTO counters (name, value) VALUES ('effects', 1) "
            "ON CONFLICT (name) DO UPDATE SET value = counters.value + 1"
        )
    )


def runs(kb) -> list[HandlerRun]:
    with kb.db.read() as s:
        return list(s.scalars(select(HandlerRun).order_by(HandlerRun.id)))


@pytest.fixture
def registry() -> Registry:
    registry = Registry()
    registry.register(Handler("count", ("org.test.*",), count_effect))
    return registry


def test_dispatch_creates_one_run_per_interested_handler_once(kb, registry):
    add_events(kb, 3)
    add_events(kb, 2, type_="org.other.thing")
    assert dispatch_new(kb.db, registry) == 5
    assert dispatch_new(kb.db, registry) == 0
    assert [r.handler for r in runs(kb)] == ["count"] * 3


def test_transactional_handlers_apply_each_effect_once(kb, registry):
    add_events(kb, 7)
    worker = Worker(kb.db, registry)
    assert worker.run_pending() == 7
    assert worker.run_pending() == 0
    assert counter(kb) == 7
    assert {r.status for r in runs(kb)} == {"done"}


def test_failures_are_retried_on_schedule_then_dead_lettered(kb, clock):
    calls = []

    def flaky(db, run, event):  # noqa: ANN001
        calls.append(clock())
        raise ConnectionError("receiver down")

    registry = Registry()
    registry.register(
        Handler("flaky", ("org.test.*",), flaky, transactional=False, schedule=(10, 20))
    )
    seq = add_events(kb, 1)[0]
    worker = Worker(kb.db, registry, clock=clock)
    worker.run_pending()
    run = runs(kb)[0]
    assert run.status == "pending" and run.attempts == 1 and "receiver down" in run.last_error
    worker.run_pending()
    assert len(calls) == 1  # not due yet: nobody sleeps, the clock decides
    clock.advance(12)
    worker.run_pending()
    clock.advance(23)
    worker.run_pending()
    assert len(calls) == 3
    assert runs(kb)[0].status == "dead"
    assert admin.get_event(kb.db, seq).status == "dead"
    assert [v.event.seq for v in admin.list_events(kb.db, status="dead")] == [seq]

    assert admin.retry_event(kb.db, seq) == 1
    worker.run_pending()
    assert len(calls) == 4 and runs(kb)[0].attempts == 1


def test_give_up_dead_letters_at_once(kb):
    def hopeless(db, run, event):  # noqa: ANN001
        raise GiveUp("410 Gone")

    registry = Registry()
    registry.register(Handler("hopeless", ("org.test.*",), hopeless, transactional=False))
    add_events(kb, 1)
    Worker(kb.db, registry).run_pending()
    assert runs(kb)[0].status == "dead" and runs(kb)[0].last_error == "410 Gone"


def leased_by_the_first(kb, registry, clock, n: int) -> tuple[Worker, Worker, list[int]]:
    """Two workers with 30 s leases; `n` events whose runs the first has claimed."""
    add_events(kb, n)
    first = Worker(kb.db, registry, name="first", lease=30, clock=clock)
    second = Worker(kb.db, registry, name="second", lease=30, clock=clock)
    dispatch_new(kb.db, registry, clock())
    return first, second, first.claim(10)


def test_a_lost_lease_is_claimed_again_and_the_effect_applied_once(kb, registry, clock):
    first, second, claimed = leased_by_the_first(kb, registry, clock, 1)
    assert claimed and second.claim(10) == []  # leased: nobody else takes it
    clock.advance(31)  # the first worker died (or hangs) past its lease
    assert second.claim(10) == claimed
    assert second.execute(claimed[0]) == "done"
    assert first.execute(claimed[0]) == "lost"  # the late first worker changes nothing
    assert counter(kb) == 1 and runs(kb)[0].attempts == 2


def test_runs_of_one_handler_for_one_project_keep_event_order(kb, clock):
    seen: list[int] = []
    failed: set[int] = set()

    def ordered(db, run, event):  # noqa: ANN001
        if event.data["n"] == 0 and event.seq not in failed:
            failed.add(event.seq)
            raise RuntimeError("first attempt fails")
        seen.append(event.data["n"])

    registry = Registry()
    registry.register(
        Handler("ordered", ("org.test.*",), ordered, transactional=False, schedule=(5,))
    )
    add_events(kb, 3, partition="ATLAS")
    add_events(kb, 1, partition="HARBOUR")
    worker = Worker(kb.db, registry, clock=clock)
    worker.run_pending()
    # both first events failed once; ATLAS's later events waited instead of overtaking
    assert seen == []
    assert [r.attempts for r in runs(kb)] == [1, 0, 0, 1]
    clock.advance(6)
    worker.run_pending()
    assert seen == [0, 0, 1, 2]


def test_concurrent_workers_never_run_a_claimed_run_twice(kb, registry):
    add_events(kb, 120)
    errors: list[Exception] = []

    def work(name: str) -> None:
        try:
            Worker(kb.db, registry, name=name).run_pending(batch=5)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert counter(kb) == 120
    assert {(r.status, r.attempts) for r in runs(kb)} == {("done", 1)}


def test_replay_runs_handlers_again_including_new_ones(kb, registry):
    first = add_events(kb, 2)[0]
    worker = Worker(kb.db, registry)
    worker.run_pending()
    later = Registry()
    later.register(Handler("count", ("org.test.*",), count_effect))
    later.register(Handler("count-again", ("org.test.*",), count_effect))
    assert admin.replay(kb.db, later, from_seq=first) == 4  # 2 reset + 2 new
    Worker(kb.db, later).run_pending()
    assert counter(kb) == 2 + 4


def test_unknown_handler_names_are_dead_lettered(kb, registry):
    add_events(kb, 1)
    dispatch_new(kb.db, registry)
    Worker(kb.db, Registry()).run_pending()
    assert runs(kb)[0].status == "dead" and "no handler" in runs(kb)[0].last_error


def test_unordered_handlers_do_not_wait_behind_a_failing_run(kb, clock):
    seen: list[int] = []

    def picky(db, run, event):  # noqa: ANN001
        if event.data["n"] == 0:
            raise RuntimeError("the receiver rejects this one")
        seen.append(event.data["n"])

    registry = Registry()
    registry.register(Handler("picky", ("org.test.*",), picky, transactional=False, ordered=False))
    add_events(kb, 3, partition="ATLAS")
    Worker(kb.db, registry, clock=clock).run_pending()
    assert seen == [1, 2]
    assert {r.partition_key for r in runs(kb)} == {None}


def test_a_claim_runs_in_one_transaction_and_a_failing_run_rolls_back_only_itself(kb, clock):
    def picky(s, event):  # noqa: ANN001
        count_effect(s, event)  # applied, then undone with its savepoint when the run fails
        if event.data["n"] == 2:
            raise ValueError("no twos")

    registry = Registry()
    registry.register(Handler("picky", ("org.test.*",), picky, schedule=(10,)))
    add_events(kb, 5)
    worker = Worker(kb.db, registry, clock=clock)
    assert worker.run_pending() == 5
    assert counter(kb) == 4  # every run but the failing one, each once
    statuses = [(r.status, r.attempts) for r in runs(kb)]
    assert statuses == [("done", 1)] * 2 + [("pending", 1)] + [("done", 1)] * 2
    assert "ValueError: no twos" in runs(kb)[2].last_error


def test_a_batch_with_a_lost_lease_applies_nothing_twice(kb, registry, clock):
    first, second, claimed = leased_by_the_first(kb, registry, clock, 3)
    clock.advance(31)  # the first worker hangs past its lease; the second takes one run over
    assert second.claim(1) == claimed[:1]
    assert second.execute(claimed[0]) == "done"
    first.execute_many(claimed)  # its batch cannot mark the lost run: run one by one instead
    assert counter(kb) == 3
    assert [(r.status, r.lease_owner) for r in runs(kb)] == [
        ("done", "second"),
        ("done", "first"),
        ("done", "first"),
    ]


def test_a_handler_that_takes_several_events_gets_a_claims_runs_together(kb, clock):
    """Consecutive runs of one handler in a claim go to its `many` in one call; when that
    fails, the runs go again one by one through `fn`, each in a savepoint of its own."""
    calls: list[list[int]] = []

    def picky(s, event):  # noqa: ANN001
        count_effect(s, event)
        if event.data["n"] == 2:
            raise ValueError("no twos")

    def many(s, events):  # noqa: ANN001
        calls.append([event.data["n"] for event in events])
        for event in events:
            picky(s, event)

    registry = Registry()
    registry.register(Handler("picky", ("org.test.*",), picky, many=many, schedule=(10,)))
    worker = Worker(kb.db, registry, clock=clock)
    add_events(kb, 2)
    assert worker.run_pending() == 2
    assert calls == [[0, 1]] and counter(kb) == 2
    add_events(kb, 3)
    assert worker.run_pending() == 3
    assert calls == [[0, 1], [0, 1, 2]]  # failed: rolled back, then run by run
    assert counter(kb) == 4
    statuses = [(r.status, r.attempts) for r in runs(kb)]
    assert statuses == [("done", 1)] * 4 + [("pending", 1)]
    assert "ValueError: no twos" in runs(kb)[4].last_error
    assert worker.run_pending(batch=1) == 0  # not due yet; when due, alone: `fn`
    clock.advance(11)
    assert worker.run_pending() == 1 and calls == [[0, 1], [0, 1, 2]]


def test_a_pass_dispatches_claims_and_runs_new_events_in_one_write_transaction(kb, registry):
    """Dispatch, claim and the runs once took three write transactions a pass: most of the
    time of a worker handling events as they come, one or a few at a time."""
    commits: list[int] = []
    kb.db.on_commit(lambda: commits.append(1))
    worker = Worker(kb.db, registry)
    add_events(kb, 3)
    commits.clear()
    assert worker.run_kb_lane() == 3
    assert len(commits) == 1 and counter(kb) == 3
    assert worker.run_kb_lane() == 0 and len(commits) == 1  # nothing new: no write at all
    assert [(r.status, r.attempts) for r in runs(kb)] == [("done", 1)] * 3


def test_a_failing_run_in_a_pass_of_new_events_rolls_back_only_itself(kb, clock):
    """The pass's transaction is done again with a savepoint per run: the others' effects
    once, the failing run retried later, a run of a handler outside the transaction after."""
    outside: list[int] = []

    def picky(s, event):  # noqa: ANN001
        count_effect(s, event)
        if event.data["n"] == 1:
            raise ValueError("no ones")

    registry = Registry()
    registry.register(Handler("picky", ("org.test.*",), picky, schedule=(10,)))
    registry.register(
        Handler(
            "outside",
            ("org.test.*",),
            lambda db, run, event: outside.append(event.data["n"]),
            transactional=False,
        )
    )
    add_events(kb, 3)
    worker = Worker(kb.db, registry, clock=clock)
    assert worker.run_kb_lane() == 6
    assert counter(kb) == 2 and sorted(outside) == [0, 1, 2]
    picky_runs = [(r.status, r.attempts) for r in runs(kb) if r.handler == "picky"]
    assert picky_runs == [("done", 1), ("pending", 1), ("done", 1)]
    clock.advance(11)
    assert worker.run_kb_lane() == 1 and counter(kb) == 2  # retried: it failed again
    assert [r.status for r in runs(kb) if r.handler == "picky"] == ["done", "dead", "done"]


def test_a_pass_that_left_nothing_due_spares_its_loop_a_second_look(kb, registry, clock):
    """The loop's step says whether another pass may find work at once: not after a pass
    that handled every new event in its one transaction (the next commit wakes the loop);
    after runs held back behind an older run of their project, which the pass ran after it,
    yes (their handlers may have appended events)."""
    registry.register(Handler("ordered", ("org.test.*",), count_effect, ordered=True))
    worker = Worker(kb.db, registry, clock=clock)
    add_events(kb, 2)
    assert worker.step() is False and counter(kb) == 4
    add_events(kb, 2, partition="P-1")
    assert worker.step() is True and counter(kb) == 8  # the held-back run ran in the pass
    assert [r.status for r in runs(kb)] == ["done"] * 8
    assert worker.step() is False and counter(kb) == 8


def test_a_pass_whose_runs_appended_events_asks_for_the_next_at_once(kb, clock):
    """Events a handler appends are dispatched by the next pass, which follows at once (the
    loop's own commits do not wake it)."""

    def echo(s, event):  # noqa: ANN001
        if event.type == "org.test.thing.happened":
            lock_log(s)
            s.add(an_event("org.test.echo", {}))
        count_effect(s, event)

    registry = Registry()
    registry.register(Handler("echo", ("org.test.*",), echo))
    worker = Worker(kb.db, registry, clock=clock)
    add_events(kb, 1)
    assert worker.step() is True and counter(kb) == 1
    assert worker.step() is False and counter(kb) == 2  # the echo, handled
