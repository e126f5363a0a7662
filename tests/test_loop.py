"""The background loop shared by the index follower and the worker."""

from __future__ import annotations

import threading
import time

from kb.core.loop import Loop


def test_a_loop_woken_while_it_steps_settles_so_one_step_takes_a_burst():
    steps: list[float] = []
    running, release = threading.Event(), threading.Event()

    def step() -> None:
        steps.append(time.monotonic())
        if len(steps) == 1:
            running.set()
            release.wait(30)

    loop = Loop("test", step, interval=10, settle=0.05)
    loop.start()
    try:
        assert running.wait(30)
        for _ in range(20):  # a burst of commits while the first step runs
            loop.wake()
        release.set()
        deadline = time.monotonic() + 30  # bounds a hang; the loop waits on the condition
        while len(steps) < 2 and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.15)
        assert len(steps) == 2  # not one step per wake-up
        assert steps[1] - steps[0] >= 0.05
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
