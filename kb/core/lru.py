"""A small thread-safe least-recently-used cache, for the answers, statements and pages kb
keeps between requests."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class LruCache(Generic[V]):
    """At most `capacity` entries, the least recently used dropped first. With `copy`,
    values are copied on the way in and out, so a caller changing its answer never changes
    the cached one; without, they are shared (for values nobody changes)."""

    def __init__(self, capacity: int, *, copy: Callable[[V], V] | None = None) -> None:
        self.capacity = capacity
        self._copy = copy or _same
        self._entries: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is None:
                return None
            self._entries.move_to_end(key)
        return self._copy(value)

    def put(self, key: Hashable, value: V) -> None:
        if self.capacity <= 0:
            return
        kept = self._copy(value)
        with self._lock:
            self._entries[key] = kept
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _same(value: V) -> V:
    return value
