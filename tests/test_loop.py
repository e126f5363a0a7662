"""The background loop shared by the index follower and the worker."""

from __future__ import annotations

import threading
import time

from kb.core.loop import Loop


def test_a_loop_woken_while_two_steps_ran_settles_so_one_step_takes_the_burst():
    steps: list[float] = []
    ended: list[float] = []
    running, release = threading.Semaphore(0), threading.Semaphore(0)

    def step() -> None:
        steps.append(time.monotonic())
        if len(steps) <= 2:
            running.release()
            release.acquire(timeout=30)
        ended.append(time.monotonic())

    loop = Loop("test", step, interval=10, settle=0.05)
    loop.start()
    try:
        for _ in range(2):  # commits keep coming while two steps run
            assert running.acquire(timeout=30)
            for _ in range(20):
                loop.wake()
            release.release()
        deadline = time.monotonic() + 30  # bounds a hang; the loop waits on the condition
        while len(steps) < 3 and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.15)
        assert len(steps) == 3  # not one step per wake-up
        assert steps[2] - ended[1] >= 0.05  # the second burst in a row settles
    finally:
        loop.stop()


def test_a_wake_up_after_a_quiet_spell_is_acted_on_at_once():
    steps = threading.Semaphore(0)
    # settling an hour would hang the test: a lone wake-up must not settle
    loop = Loop("test", steps.release, interval=3600, settle=3600)
    loop.start()
    try:
        assert steps.acquire(timeout=30)  # the first step
        loop.wake()
        assert steps.acquire(timeout=30)
    finally:
        loop.stop()


def test_a_failing_step_does_not_end_the_loop():
    calls = threading.Semaphore(0)

    def flaky():
        calls.release()
        raise RuntimeError("database away")

    loop = Loop("test", flaky, interval=0.001)
    loop.start()
    try:
        assert calls.acquire(timeout=2) and calls.acquire(timeout=2)
    finally:
        loop.stop()
