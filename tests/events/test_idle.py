"""An idle worker writes nothing and backs off; a commit in the process still wakes it at once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event

from kb.core.loop import Loop
from kb.events.jobs.dispatch import has_new
from tests.events.test_worker import add_events

PASSES = 20


@pytest.fixture
def writes(kb):
    """How many write transactions (BEGIN on a kb_write connection) the database began."""
    began = {"n": 0}

    def on_begin(conn):  # noqa: ANN001
        if conn.get_execution_options().get("kb_write"):
            began["n"] += 1

    event.listen(kb.db.engine, "begin", on_begin)
    yield began
    event.remove(kb.db.engine, "begin", on_begin)


def test_an_idle_worker_writes_nothing_over_many_passes(kb, writes):
    add_events(kb, 3, type_="org.pmo.kb.lesson.published")
    kb.worker.run_pending()  # the news is handled: from here on there is nothing to do
    before = writes["n"]
    for _ in range(PASSES):
        assert kb.worker.run_pending() == 0
    assert writes["n"] == before


def counting(kb):
    """A loop over the kb lane and a condition to wait on its number of passes."""
    passes = threading.Condition()
    count = [0]

    def step() -> int:
        done = kb.worker.run_kb_lane()
        with passes:
            count[0] += 1
            passes.notify_all()
        return done

    return step, passes, count


def test_the_looping_worker_backs_off_without_writing(kb, writes):
    step, passes, count = counting(kb)
    loop = Loop("test-worker", step, interval=0.0005, idle_max=3600)
    loop.start()
    try:
        with passes:
            assert passes.wait_for(lambda: count[0] >= 1, timeout=10)
            before = writes["n"]
            assert passes.wait_for(lambda: count[0] >= 10, timeout=10)
            assert writes["n"] == before  # nothing to do: not one write transaction
    finally:
        loop.stop()


def test_a_commit_wakes_a_backed_off_worker_at_once(kb):
    step, passes, count = counting(kb)
    loop = Loop("test-worker", step, interval=3600, idle_max=3600)
    kb.db.on_commit(loop.wake)
    loop.start()
    try:
        with passes:
            assert passes.wait_for(lambda: count[0] >= 1, timeout=10)
        add_events(kb, 1)  # the next look would be an hour away without the wake-up
        with passes:
            assert passes.wait_for(lambda: count[0] >= 2, timeout=10)
        assert not has_new(kb.db)  # that pass dispatched it
    finally:
        loop.stop()


def test_an_idle_loop_backs_off_to_its_ceiling_and_failures_back_off_too():
    loop = Loop("test", lambda: 0, interval=0.5, idle_max=5.0)
    assert [loop.delay(0, idle) for idle in range(6)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert loop.delay(2, 0) == 2.0
    assert Loop("plain", lambda: 0, interval=0.5).delay(0, 9) == 0.5


def test_a_step_that_did_something_is_followed_by_the_next_at_once():
    """A worker on a backlog drains it without pausing between passes (an hour here)."""
    left, calls = [3], threading.Semaphore(0)

    def step() -> int:
        calls.release()
        did = min(left[0], 1)
        left[0] -= did
        return did

    loop = Loop("test-worker", step, interval=3600, idle_max=3600)
    loop.start()
    try:
        for _ in range(4):  # three passes that did something, then the one that finds nothing
            assert calls.acquire(timeout=30)
        assert left[0] == 0
    finally:
        loop.stop()
