"""The worker's threads: one for kb's own lane, a few for deliveries.

The kb lane (sweeps, dispatch, kb's own handlers) runs on one thread and never makes an HTTP
call; webhook and e-mail deliveries run on `deliveries` threads of their own. A receiver that
accepts connections and never answers therefore holds at most `receiver_cap` delivery threads
for at most the delivery timeout each, and never the thread that opens reviews.
"""

from __future__ import annotations

import threading
import time
from functools import partial

from kb.core.loop import Loop
from kb.events.jobs.worker import Worker

#: delivery threads per worker (KB_DELIVERY_THREADS)
DELIVERY_THREADS = 4
#: an idle worker looks this often at most (a commit in this process wakes it at once)
IDLE_MAX = 5.0


class WorkerThreads:
    """Starts, wakes and stops the loops of one worker, like a single Loop does."""

    def __init__(
        self,
        worker: Worker,
        interval: float,
        deliveries: int = DELIVERY_THREADS,
        settle: float = 0.05,
    ):
        self.kb = Loop("kb-worker", worker.step, interval, settle=settle, idle_max=IDLE_MAX)
        self._stopping = threading.Event()
        step = partial(worker.run_deliveries, stopping=self._stopping.is_set)
        self.deliveries = [
            Loop(f"kb-deliveries-{i}", step, interval, settle=settle, idle_max=IDLE_MAX)
            for i in range(1, max(1, deliveries) + 1)
        ]
        # new events may bring deliveries: look at once rather than at the next interval
        worker.on_dispatch.append(self.wake_deliveries)

    def start(self) -> None:
        """Every loop in a daemon thread (the embedded default, inside the web process)."""
        self.kb.start()
        for loop in self.deliveries:
            loop.start()

    def run(self) -> None:
        """`kb worker`: deliveries in threads, the kb lane in the calling thread until stop()."""
        for loop in self.deliveries:
            loop.start()
        try:
            self.kb.run()
        finally:
            self.stop()

    def wake(self) -> None:
        """After a commit: the kb lane looks for new events (and wakes deliveries if any)."""
        self.kb.wake()

    def wake_deliveries(self) -> None:
        for loop in self.deliveries:
            loop.wake()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every loop, waiting `timeout` seconds in all (a delivery thread may be in the
        middle of an attempt: as a daemon thread it does not keep the process alive)."""
        self._stopping.set()  # a delivery thread stops after its current attempt
        loops = [self.kb, *self.deliveries]
        for loop in loops:  # ask every loop first, so that they wind down together
            loop.stop(timeout=0)
        deadline = time.monotonic() + timeout
        for loop in loops:
            loop.stop(max(0.0, deadline - time.monotonic()))
