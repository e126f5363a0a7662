"""A background loop: do one step, sleep until the interval passes or someone wakes it.

The index follower and the event worker are both loops of this kind; a failing step is
logged and retried with back-off, never allowed to end the loop. A loop given `idle_max`
also backs off while its steps find nothing to do (a step returns how much it did), up to
idle_max seconds between looks; a wake-up (a commit in this process) brings it back at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)
MAX_BACKOFF = 60


class Loop:
    def __init__(
        self,
        name: str,
        step: Callable[[], object],
        interval: float = 0.5,
        settle: float = 0.0,
        idle_max: float | None = None,
    ):
        self.name = name
        self.step = step
        self.interval = interval
        #: after a wake-up that came while a step ran (commits keep coming), wait this long
        #: for more news, so that one step handles a burst of commits instead of one step per
        #: commit; a wake-up after a quiet spell is acted on at once (event -> searchable)
        self.settle = settle
        self.idle_max = idle_max
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()  # two first requests may start it at once

    def run(self) -> None:
        """Loop in the calling thread until stop() (the `kb worker` process)."""
        failures = idle = 0
        while not self._stop.is_set():
            self._wake.clear()  # the step sees every commit made before it starts
            try:
                idle = 0 if self.step() else idle + 1
                failures = 0
            except Exception:  # the database may be away for a moment: keep going
                failures += 1
                log.exception("%s: step failed (%d in a row)", self.name, failures)
            burst = self._wake.is_set()  # woken while the step ran
            woken = self._wake.wait(self.delay(failures, idle))
            if woken:
                idle = 0
            if burst and self.settle and not self._stop.is_set():
                self._stop.wait(self.settle)

    def delay(self, failures: int, idle: int) -> float:
        """Seconds until the next look after `failures` failed or `idle` empty steps in a row."""
        if failures:
            return self.interval * min(2**failures, MAX_BACKOFF)
        if self.idle_max is None or not idle:
            return self.interval
        return max(self.interval, min(self.interval * 2**idle, self.idle_max))

    def start(self) -> None:
        """Loop in a daemon thread (the embedded default, inside the web process); a
        process forked from one running the loop starts its own (threads do not fork)."""
        with self._starting:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self.run, name=self.name, daemon=True)
                self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
