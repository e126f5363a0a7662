"""Small thread-safe caches of finished answers, so an identical request is not rebuilt.

Every key a SearchIndex puts here holds the index generation the answer was computed from
(a thread still on an older searcher cannot leave an entry that a newer one would serve) and
what the reader may see (access.access_key), so no one is ever served an answer built for a
reader who sees more.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from kb.search.records import SearchResults

V = TypeVar("V")


def copy_results(results: SearchResults) -> SearchResults:
    """A copy sharing nothing a caller may change (dates, strings and tuples are immutable)."""
    hits = [
        dataclasses.replace(hit, topics=list(hit.topics), tags=list(hit.tags))
        for hit in results.hits
    ]
    facets = {name: list(values) for name, values in results.facets.items()}
    return dataclasses.replace(results, hits=hits, facets=facets)


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
