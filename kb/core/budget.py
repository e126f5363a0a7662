"""A budget of processor time that protects against hostile input, not against a busy machine.

It counts the CPU time of the thread that works, never the wall clock, so work queued behind
other threads or programs is finished rather than refused. One thing on that clock is not the
work's own: a full garbage collection of the whole heap is charged to whichever thread's
allocation set it off. On a process holding a few million objects that is half a second here,
twice that when the machine is busy, and it once made a 560-byte document "too slow to render".
So a budget that runs out after a full collection started inside it starts again, once: the
collection is excused, and hostile work still stops within two budgets. (Timing collections
with gc.callbacks would be exact but costs ~2 % of any allocation-heavy code, all the time.)
"""

from __future__ import annotations

import gc
import time


def full_collections() -> int:
    """How many times the oldest generation has been collected in this process."""
    return gc.get_stats()[-1]["collections"]


class CpuBudget:
    """`seconds` of this thread's processor time from now; look with over() or left()."""

    __slots__ = ("seconds", "deadline", "_collections", "_excused")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.thread_time() + seconds
        self._collections = full_collections()
        self._excused = False

    def left(self) -> float:
        """Seconds left, 0 or less when the budget is spent (a collection excused once)."""
        left = self.deadline - time.thread_time()
        if left <= 0 and not self._excused and full_collections() != self._collections:
            self._excused = True
            self.deadline = time.thread_time() + self.seconds
            return self.seconds
        return left

    def over(self) -> bool:
        return self.left() <= 0
