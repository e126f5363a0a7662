"""Facet counts over the whole filtered result set, fast enough to run on every query.

Whoosh's FieldFacet(allow_overlap=True) rebuilds a document -> values list for each segment
by reading every posting of the field, on every search (about 15 ms per multi-valued facet
on 10,000 documents, whatever the number of hits). A segment never changes once written
(deletions are kept aside and deleted documents are never matched), so the lists are cached
per segment id and reused until a merge retires the segment.
"""

from __future__ import annotations

import threading

from whoosh import sorting
from whoosh.searching import Results, Searcher

from kb.search.schema import FACET_FIELDS, MULTI_VALUED

FACET_LIMIT = 20


class FacetCache:
    """Per-segment value lists of the multi-valued facet fields, shared by all threads."""

    def __init__(self) -> None:
        self._lists: dict[tuple[str, str], list[list[str]]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> list[list[str]] | None:
        return self._lists.get(key)

    def put(self, key: tuple[str, str], lists: list[list[str]]) -> None:
        with self._lock:
            self._lists[key] = lists

    def keep_only(self, searcher: Searcher) -> None:
        """Forget segments the given (newest) searcher no longer has."""
        live = {segment.segment_id() for segment in searcher.reader().segments() or []}
        with self._lock:
            for key in [k for k in self._lists if k[0] not in live]:
                del self._lists[key]


class _CachedOverlappingCategorizer(sorting.OverlappingCategorizer):
    def __init__(self, global_searcher: Searcher, fieldname: str, cache: FacetCache) -> None:
        super().__init__(global_searcher, fieldname)
        self._cache = cache

    def set_searcher(self, segment_searcher: Searcher, docoffset: int) -> None:
        segment = segment_searcher.reader().segment()
        if segment is None or self._use_vectors or self._use_column:
            super().set_searcher(segment_searcher, docoffset)
            return
        key = (segment.segment_id(), self._fieldname)
        lists = self._cache.get(key)
        if lists is None:
            super().set_searcher(segment_searcher, docoffset)  # fills self._lists
            self._cache.put(key, self._lists)
        else:
            self._segment_searcher = segment_searcher
            self._lists = lists


class _CachedOverlappingFacet(sorting.FieldFacet):
    def __init__(self, fieldname: str, cache: FacetCache) -> None:
        # allow_overlap counts a document once under each of its topics / tags.
        super().__init__(fieldname, allow_overlap=True)
        self._cache = cache

    def categorizer(self, global_searcher: Searcher) -> sorting.Categorizer:
        return _CachedOverlappingCategorizer(global_searcher, self.fieldname, self._cache)


def facet_specs(cache: FacetCache) -> dict[str, sorting.FacetType]:
    # Single-valued fields use Whoosh's PostingCategorizer, which already caches its
    # array on the searcher (kept per thread until the index changes).
    return {
        name: _CachedOverlappingFacet(fieldname, cache)
        if fieldname in MULTI_VALUED
        else sorting.FieldFacet(fieldname)
        for name, fieldname in FACET_FIELDS.items()
    }


def facet_counts(results: Results) -> dict[str, list[tuple[str, int]]]:
    """Per facet: (value, count) by count descending then value, at most FACET_LIMIT."""
    facets: dict[str, list[tuple[str, int]]] = {}
    for name in FACET_FIELDS:
        counts = results.groups(name)
        items = [(str(value), int(n)) for value, n in counts.items() if value not in (None, "")]
        items.sort(key=lambda item: (-item[1], item[0]))
        facets[name] = items[:FACET_LIMIT]
    return facets


def empty_facets() -> dict[str, list[tuple[str, int]]]:
    return {name: [] for name in FACET_FIELDS}
