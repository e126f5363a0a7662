"""The background loop shared by the index follower and the worker."""

from __future__ import annotations

import threading
import time

from kb.core.loop import Loop


def test_a_woken_loop_settles_so_one_step_takes_a_burst():
    steps: list[float] = []
    loop = Loop("test", lambda: steps.append(time.monotonic()), interval=10, settle=0.05)
    loop.start()
    try:
        deadline = time.monotonic() + 30  # bounds a hang; the loop waits on the condition
        while not steps and time.monotonic() < deadline:
            time.sleep(0.001)
        for _ in range(20):  # a burst of commits, all within the settling time
            loop.wake()
        deadline = time.monotonic() + 30
        while len(steps) < 2 and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.15)
        assert 2 <= len(steps) <= 3  # not one step per wake-up
        assert steps[1] - steps[0] >= 0.05
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
