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

When the matches are most of the documents (a common word), the others are counted instead and
taken from the counts of all documents, kept with the lists: a deleted or hidden document is
never a match, so it is among the others and taken away too. At 50,000 lessons the facets of
a search matching every document cost 25 ms counted directly, 3.7 ms this way (the gaps between
the matches are found in C, and counted in C before they are taken away: Counter.subtract
steps through an iterable in Python, through a Counter a step per value); "root cause"
matches 48,000.
"""

from __future__ import annotations

import bisect
import threading
from array import array
from collections import Counter
from collections.abc import Sequence
from itertools import chain, compress, count, islice, repeat
from operator import gt, sub

from whoosh import sorting
from whoosh.searching import Searcher

from kb.search.schema import FACET_FIELDS, MULTI_VALUED

FACET_LIMIT = 20
# where _combinations keeps its lists among the searcher's field caches (no field's name)
_COMBINATIONS = ("kb", "single-valued facet combinations")


class FacetCache:
    """Per-segment value lists of the multi-valued facet fields, shared by all threads."""

    def __init__(self) -> None:
        self._lists: dict[tuple[str, str], tuple[list[list[str]], Counter]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> tuple[list[list[str]], Counter] | None:
        return self._lists.get(key)

    def put(self, key: tuple[str, str], lists: tuple[list[list[str]], Counter]) -> None:
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
    searcher: Searcher, fieldname: str, docs: Sequence[int], others: bool, cache: FacetCache
) -> Counter:
    """Documents per value of a multi-valued field, one count under each of its values: of
    the documents `docs`, or with `others`, of all documents but `docs`."""
    counts: Counter = Counter()
    for segment, offset in searcher.leaf_searchers():
        low = bisect.bisect_left(docs, offset)
        high = bisect.bisect_left(docs, offset + segment.doc_count_all())
        if low == high and not others:
            continue
        info = segment.reader().segment()
        key = (info.segment_id(), fieldname) if info is not None else None
        kept = cache.get(key) if key else None
        if kept is None:
            lists = _segment_lists(segment, fieldname)
            kept = lists, Counter(chain.from_iterable(lists))
            if key:
                cache.put(key, kept)
        lists, whole = kept
        # All in C (map, not a generator): the documents' numbers in the segment, their lists.
        docnums = map(sub, docs[low:high], repeat(offset)) if offset else docs[low:high]
        if others:
            counts.update(whole)
            counts.subtract(Counter(chain.from_iterable(map(lists.__getitem__, docnums))))
        else:
            counts.update(chain.from_iterable(map(lists.__getitem__, docnums)))
    return counts


def _others(matched: Sequence[int], size: int) -> list[int]:
    """The numbers of range(size) that are not in `matched` (increasing), in increasing
    order: the gaps between consecutive matches, found in C; Python steps only per gap."""
    if not matched:
        return list(range(size))
    found = list(range(matched[0]))
    steps = map(sub, islice(matched, 1, None), matched)
    for i in compress(count(), map(gt, steps, repeat(1))):
        found.extend(range(matched[i] + 1, matched[i + 1]))
    found.extend(range(matched[-1] + 1, size))
    return found


_SINGLE_VALUED = tuple(f for f in FACET_FIELDS.values() if f not in MULTI_VALUED)


def _single_counts(searcher: Searcher, docs: Sequence[int], others: bool) -> dict[str, Counter]:
    """Documents per value of each single-valued facet field, all counted in one pass: each
    document's values as one combination number (_combinations). Of the documents `docs`, or
    with `others`, of all documents but `docs`."""
    numbers, combinations, whole = _combinations(searcher)
    if others:
        found = whole.copy()
        found.subtract(Counter(map(numbers.__getitem__, docs)))
    else:
        found = Counter(map(numbers.__getitem__, docs))
    counts: dict[str, Counter] = {fieldname: Counter() for fieldname in _SINGLE_VALUED}
    columns = [counts[fieldname] for fieldname in _SINGLE_VALUED]
    for number, n in found.items():
        for column, value in zip(columns, combinations[number], strict=True):
            column[value] += n
    return counts


def _combinations(searcher: Searcher) -> tuple[array, list[tuple], Counter]:
    """Per document number, the number of its combination of single-valued facet values, the
    combinations (value or None per field), and the documents per combination number (all
    documents, the deleted ones too). Made from Whoosh's PostingCategorizer arrays
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
        kept = (numbers, combinations, Counter(numbers))
        searcher._field_caches[_COMBINATIONS] = kept
    return kept


def facet_counts(
    searcher: Searcher, matched: Sequence[int], cache: FacetCache
) -> dict[str, list[tuple[str, int]]]:
    """Per facet over the documents `matched` (in increasing order): (value, count) by count
    descending then value, at most FACET_LIMIT."""
    size = searcher.doc_count_all()
    others = 2 * len(matched) > size  # most documents match: count the others (docstring)
    docs = _others(matched, size) if others else matched
    single = _single_counts(searcher, docs, others)
    facets: dict[str, list[tuple[str, int]]] = {}
    for name, fieldname in FACET_FIELDS.items():
        if fieldname in MULTI_VALUED:
            counts = _overlapping_counts(searcher, fieldname, docs, others, cache)
        else:
            counts = single[fieldname]
        items = [
            (str(value), int(n)) for value, n in counts.items() if n and value not in (None, "")
        ]
        items.sort(key=lambda item: (-item[1], item[0]))
        facets[name] = items[:FACET_LIMIT]
    return facets


def empty_facets() -> dict[str, list[tuple[str, int]]]:
    return {name: [] for name in FACET_FIELDS}
