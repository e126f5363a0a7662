"""A background loop: do one step, sleep until the interval passes or someone wakes it.

The index follower and the event worker are both loops of this kind; a failing step is
logged and retried with back-off, never allowed to end the loop. A step returns how much it
did: a step that did something is followed by the next at once (a worker on a backlog drains
it without pausing between passes), and a loop given `idle_max` backs off while its steps find
nothing to do, up to idle_max seconds between looks. A wake-up (a commit in this process, or
news from another process: kb.events.log.news) brings it back at once; the loop's own commits
do not wake it (its next step follows anyway when it did something).
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
        #: when wake-ups came while two steps in a row ran (commits keep coming), wait this
        #: long for more news, so that one step handles a burst of commits instead of one
        #: step per commit. A wake-up after a quiet spell is acted on at once, and so is the
        #: first one during a step: a handler's commit that comes while the index follower
        #: looks at the event that caused it (event -> searchable) waits for no settling.
        self.settle = settle
        self.idle_max = idle_max
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._runner: int | None = None  # the thread running the steps
        self._starting = threading.Lock()  # two first requests may start it at once

    def run(self) -> None:
        """Loop in the calling thread until stop() (the `kb worker` process)."""
        self._runner = threading.get_ident()
        failures = idle = bursts = 0
        while not self._stop.is_set():
            self._wake.clear()  # the step sees every commit made before it starts
            did = None
            try:
                did = self.step()
                idle = 0 if did else idle + 1
                failures = 0
            except Exception:  # the database may be away for a moment: keep going
                failures += 1
                log.exception("%s: step failed (%d in a row)", self.name, failures)
            if self._wake.is_set():  # woken while the step ran: news keeps coming
                idle, bursts = 0, bursts + 1
                if self.settle and bursts > 1:
                    self._stop.wait(self.settle)
                continue
            bursts = 0
            if not did and self._wake.wait(self.delay(failures, idle)):
                idle = 0

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
        if threading.get_ident() != self._runner:  # not a commit of the step itself
            self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
