"""Facet counts over the whole filtered result set, fast enough to run on every query.

Counted after the search from the matching document numbers, not by Whoosh's groupedby (which
runs five categorizers and a map update per facet for every match, inside the matching loop,
and makes Whoosh keep and sort every scored match). What each document holds comes from lists
built once per segment and field from the field's postings: a segment never changes once
written (deletions are kept aside and deleted documents are never matched), so they are cached
per segment id and reused until a merge retires the segment. A single-valued field gives a
document the last of its terms in term order, as Whoosh's PostingCategorizer does.

A few matches are counted from each document's values (a Counter step per value). Many are
counted a value at a time, from the segment's matches as a bit mask: each value that many
documents hold keeps its documents as a bit mask too, and its count is the bits the two share
(int & and bit_count: C over an eighth of a byte per document); the documents of the rarer
values are looked up in the matches' byte mask (an itemgetter over all of them at once), and
only those that match are counted. Each segment goes the way that costs less for its number
of matches, as estimated from its lists (the costs below). At 50,000 lessons the facets of
"supplier" (31,000 matches) cost 12.6 ms counted from each document (its non-matches, then)
and 1.2 ms this way; below about 1,000 matches counting each document costs less.
"""

from __future__ import annotations

import bisect
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from itertools import chain, compress, repeat
from operator import itemgetter, sub

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import Matcher
from whoosh.searching import Searcher

from kb.search.postings import KeptLeaf, every_block
from kb.search.schema import FACET_FIELDS, MULTI_VALUED

FACET_LIMIT = 20
# What the two ways of counting cost, in look-ups of a document's byte in a byte mask (an
# itemgetter step, ~15 ns): a value's count from bit masks (int & and bit_count) costs a fixed
# part and a part per document of the segment, so a value held by fewer documents than that
# is looked up a document at a time instead; counting each match costs a part per match and
# per value it holds; the value-at-a-time way sets each match in the byte mask first.
MASK_FIXED, MASK_PER_DOC = 40, 1 / 200
COUNT_PER_DOC, COUNT_PER_VALUE, SET_PER_MATCH = 2, 3, 1.5


class SegmentValues:
    """The facet values of one segment's documents, in the two forms the counting uses."""

    __slots__ = ("each", "mask_work", "packed", "rare", "value_work")

    def __init__(self, size: int, each: dict[str, list], docs: dict[str, dict[str, list]]):
        # field -> per document number: its value (None: none) or, multi-valued, its values
        self.each = each
        # field -> (value, bit mask of its documents) for the values many documents hold
        self.packed: dict[str, list[tuple[str, int]]] = {}
        # field -> (the values of the rarer ones, one per document holding it; a getter of
        # those documents' bytes in a byte mask, and one more so that it gives a tuple even
        # for one document: compress stops at the values' end), or None when there are none
        self.rare: dict[str, tuple[list[str], Callable[[bytes], tuple]] | None] = {}
        postings = rare_postings = 0
        for fieldname, held in docs.items():
            postings += sum(map(len, held.values()))
            many = [v for v, d in held.items() if len(d) > MASK_FIXED + size * MASK_PER_DOC]
            self.packed[fieldname] = [(v, _bits(held[v], size)) for v in many]
            many = set(many)
            rare = [(v, d) for v, ds in held.items() if v not in many for d in ds]
            rare_postings += len(rare)
            self.rare[fieldname] = (
                ([v for v, _ in rare], itemgetter(*[d for _, d in rare], 0)) if rare else None
            )
        packed = sum(map(len, self.packed.values()))
        # what counting by masks costs whatever the matches, and counting each, per match
        self.mask_work = packed * (MASK_FIXED + size * MASK_PER_DOC) + rare_postings
        self.value_work = COUNT_PER_DOC * len(each) + COUNT_PER_VALUE * postings / max(size, 1)


def _bits(docs: Sequence[int], size: int) -> int:
    """The documents `docs` of a segment of `size` as a bit mask (_packed's order)."""
    held = bytearray(size)
    for docnum in docs:
        held[docnum] = 1
    return _packed(held)


def _packed(held: bytes | bytearray) -> int:
    """A byte mask (a byte of 0 or 1 per document) as a bit mask, all in C: the bytes cut
    into eight runs of equal length, run k read as one int (a bit at the bottom of each of
    its bytes) moved up k bits, the eight put together. Two masks of the same length in this
    order share a bit where they share a document."""
    run = -(-len(held) // 8)
    held = bytes(held) + bytes(8 * run - len(held))
    found = 0
    for k in range(8):
        found |= int.from_bytes(held[k * run : (k + 1) * run], "little") << k
    return found


def _all_ids(m: Matcher) -> Sequence[int]:
    """The document numbers of a term's postings: a block at a time from Whoosh's leaf
    matcher (its all_ids() is a generator step each), at once from a kept list."""
    if type(m) is KeptLeaf:
        return m._ids
    if type(m) is not W3LeafMatcher:
        return list(m.all_ids())
    return every_block(m, "ids")


def _segment_values(segment: Searcher) -> SegmentValues:
    """Every facet field's values per document number of the segment, and every value's
    documents, from the field's postings. A document in the postings of several terms of a
    single-valued field holds the last one (PostingCategorizer's), and only there."""
    reader, size = segment.reader(), segment.doc_count_all()
    each: dict[str, list] = {}
    docs: dict[str, dict[str, list]] = {}
    for fieldname in FACET_FIELDS.values():
        field, multi = segment.schema[fieldname], fieldname in MULTI_VALUED
        values: list = [[] for _ in range(size)] if multi else [None] * size
        held: dict[str, list] = {}
        for btext in field.sortable_terms(reader, fieldname):
            text = field.from_bytes(btext)
            held[text] = ids = _all_ids(reader.postings(fieldname, btext))
            for docnum in ids:
                if multi:
                    values[docnum].append(text)
                else:
                    values[docnum] = text
        if not multi and sum(map(len, held.values())) > size - values.count(None):
            held = {v: [d for d in ids if values[d] == v] for v, ids in held.items()}
        each[fieldname], docs[fieldname] = values, held
    return SegmentValues(size, each, docs)


class FacetCache:
    """Per-segment facet values (SegmentValues), shared by all threads."""

    def __init__(self) -> None:
        self._segments: dict[str, SegmentValues] = {}
        self._lock = threading.Lock()

    def values(self, segment: Searcher) -> SegmentValues:
        info = segment.reader().segment()
        key = info.segment_id() if info is not None else None
        kept = self._segments.get(key) if key else None
        if kept is None:
            kept = _segment_values(segment)
            if key:
                with self._lock:
                    self._segments[key] = kept
        return kept

    def keep_only(self, searcher: Searcher) -> None:
        """Forget segments the given (newest) searcher no longer has."""
        live = {segment.segment_id() for segment in searcher.reader().segments() or []}
        with self._lock:
            for key in [k for k in self._segments if k not in live]:
                del self._segments[key]


def _count_each(kept: SegmentValues, docs: Sequence[int], counts: dict[str, Counter]) -> None:
    """Add up the values of the segment's documents `docs`, a document at a time."""
    for fieldname, values in kept.each.items():
        if fieldname in MULTI_VALUED:
            counts[fieldname].update(chain.from_iterable(map(values.__getitem__, docs)))
        else:
            counts[fieldname].update(map(values.__getitem__, docs))


def _count_masks(kept: SegmentValues, held: bytes, counts: dict[str, Counter]) -> None:
    """Add up the values of the segment's documents whose byte is 1 in `held`, a value at
    a time (module docstring)."""
    bits = _packed(held)
    for fieldname, packed in kept.packed.items():
        found = counts[fieldname]
        for value, docs in packed:
            found[value] += (docs & bits).bit_count()
        rare = kept.rare[fieldname]
        if rare is not None:
            found.update(compress(rare[0], rare[1](held)))


def facet_counts(
    searcher: Searcher, matched: Sequence[int], cache: FacetCache, *, masks: bool | None = None
) -> dict[str, list[tuple[str, int]]]:
    """Per facet over the documents `matched` (in increasing order): (value, count) by count
    descending then value, at most FACET_LIMIT. Each segment's matches are counted the way
    that costs less (module docstring), or with `masks` given, by masks or not."""
    counts: dict[str, Counter] = {fieldname: Counter() for fieldname in FACET_FIELDS.values()}
    held: bytearray | None = None
    for segment, offset in searcher.leaf_searchers():
        size = segment.doc_count_all()
        low = bisect.bisect_left(matched, offset)
        high = bisect.bisect_left(matched, offset + size)
        if low == high:
            continue
        kept = cache.values(segment)
        by_masks = masks
        if by_masks is None:
            by_masks = (high - low) * (kept.value_work - SET_PER_MATCH) > kept.mask_work
        if not by_masks:
            docs = matched[low:high]
            _count_each(kept, list(map(sub, docs, repeat(offset))) if offset else docs, counts)
            continue
        if held is None:
            held = bytearray(searcher.doc_count_all())
        for docnum in matched[low:high]:
            held[docnum] = 1
        _count_masks(kept, held[offset : offset + size], counts)
    facets: dict[str, list[tuple[str, int]]] = {}
    for name, fieldname in FACET_FIELDS.items():
        items = [
            (str(value), int(n))
            for value, n in counts[fieldname].items()
            if n and value not in (None, "")
        ]
        items.sort(key=lambda item: (-item[1], item[0]))
        facets[name] = items[:FACET_LIMIT]
    return facets


def empty_facets() -> dict[str, list[tuple[str, int]]]:
    return {name: [] for name in FACET_FIELDS}
