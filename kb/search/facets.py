"""Facet counts over the whole filtered result set, fast enough to run on every query.

Counted after the search from the matching document numbers, not by Whoosh's groupedby (which
runs five categorizers and a map update per facet for every match, inside the matching loop,
and makes Whoosh keep and sort every scored match). The value of each document comes from
lists built once: for the single-valued fields together, each document's combination of values
(from Whoosh's PostingCategorizer arrays, cached on the searcher, kept per thread until the
index changes), so one pass over the matches counts them all; for the multi-valued ones a
document -> values list per segment, which Whoosh would rebuild by reading every posting of
the field on every search. A segment never changes once written (deletions are kept aside and
deleted documents are never matched), so those lists are cached per segment id and reused
until a merge retires the segment.
"""

from __future__ import annotations

import bisect
import threading
from array import array
from collections import Counter
from collections.abc import Sequence
from itertools import chain, repeat
from operator import sub

from whoosh import sorting
from whoosh.searching import Searcher

from kb.search.schema import FACET_FIELDS, MULTI_VALUED

FACET_LIMIT = 20
# where _combinations keeps its lists among the searcher's field caches (no field's name)
_COMBINATIONS = ("kb", "single-valued facet combinations")


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


def _segment_lists(segment: Searcher, fieldname: str) -> list[list[str]]:
    """Per document number of the segment, the field's values (OverlappingCategorizer's)."""
    reader, field = segment.reader(), segment.schema[fieldname]
    lists: list[list[str]] = [[] for _ in range(segment.doc_count_all())]
    for btext in field.sortable_terms(reader, fieldname):
        text = field.from_bytes(btext)
        for docnum in reader.postings(fieldname, btext).all_ids():
            lists[docnum].append(text)
    return lists


def _overlapping_counts(
    searcher: Searcher, fieldname: str, matched: Sequence[int], cache: FacetCache
) -> Counter:
    """Documents per value of a multi-valued field: one count under each of its values."""
    counts: Counter = Counter()
    for segment, offset in searcher.leaf_searchers():
        low = bisect.bisect_left(matched, offset)
        high = bisect.bisect_left(matched, offset + segment.doc_count_all())
        if low == high:
            continue
        info = segment.reader().segment()
        key = (info.segment_id(), fieldname) if info is not None else None
        lists = cache.get(key) if key else None
        if lists is None:
            lists = _segment_lists(segment, fieldname)
            if key:
                cache.put(key, lists)
        # All in C (map, not a generator): the documents' numbers in the segment, their lists.
        docnums = map(sub, matched[low:high], repeat(offset)) if offset else matched[low:high]
        counts.update(chain.from_iterable(map(lists.__getitem__, docnums)))
    return counts


_SINGLE_VALUED = tuple(f for f in FACET_FIELDS.values() if f not in MULTI_VALUED)


def _single_counts(searcher: Searcher, matched: Sequence[int]) -> dict[str, Counter]:
    """Documents per value of each single-valued facet field, all counted in one pass: each
    document's values as one combination number (_combinations)."""
    numbers, combinations = _combinations(searcher)
    counts: dict[str, Counter] = {fieldname: Counter() for fieldname in _SINGLE_VALUED}
    columns = [counts[fieldname] for fieldname in _SINGLE_VALUED]
    for number, n in Counter(map(numbers.__getitem__, matched)).items():
        for column, value in zip(columns, combinations[number], strict=True):
            column[value] += n
    return counts


def _combinations(searcher: Searcher) -> tuple[array, list[tuple]]:
    """Per document number, the number of its combination of single-valued facet values, and
    the combinations (value or None per field). Made from Whoosh's PostingCategorizer arrays
    and kept beside them on the searcher, for as long as it serves (its field caches); a few
    hundred combinations at 10,000 documents, an int per document."""
    kept = searcher._field_caches.get(_COMBINATIONS)
    if kept is None:
        categorizers = [sorting.PostingCategorizer(searcher, f, False) for f in _SINGLE_VALUED]
        found: dict[tuple, int] = {}
        numbers = array(
            "i",
            [
                found.setdefault(keys, len(found))
                for keys in zip(*(c.array for c in categorizers), strict=True)
            ],
        )
        combinations = [
            tuple(c.key_to_name(key) for c, key in zip(categorizers, keys, strict=True))
            for keys in found
        ]
        kept = searcher._field_caches[_COMBINATIONS] = (numbers, combinations)
    return kept


def facet_counts(
    searcher: Searcher, matched: Sequence[int], cache: FacetCache
) -> dict[str, list[tuple[str, int]]]:
    """Per facet over the documents `matched` (in increasing order): (value, count) by count
    descending then value, at most FACET_LIMIT."""
    single = _single_counts(searcher, matched)
    facets: dict[str, list[tuple[str, int]]] = {}
    for name, fieldname in FACET_FIELDS.items():
        if fieldname in MULTI_VALUED:
            counts = _overlapping_counts(searcher, fieldname, matched, cache)
        else:
            counts = single[fieldname]
        items = [(str(value), int(n)) for value, n in counts.items() if value not in (None, "")]
        items.sort(key=lambda item: (-item[1], item[0]))
        facets[name] = items[:FACET_LIMIT]
    return facets


def empty_facets() -> dict[str, list[tuple[str, int]]]:
    return {name: [] for name in FACET_FIELDS}
