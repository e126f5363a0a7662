"""A term's postings decoded once per segment, then read from memory.

Whoosh keeps a term's postings in blocks of 128, each a pickled (often zlib-compressed) tuple
read from the file and decoded whenever a matcher enters it, for every search: about 3,700
blocks per unseen search at 10,000 lessons, a fifth of its processor time (cProfile of
bench.profile --what unseen). A segment's postings never change once written (deletions are
kept aside, and the reader's filter of deleted documents still wraps every matcher), so the
decoded ids and weights are kept per (segment id, field, term), the values (word positions)
only once something asks for them, within a memory budget (least recently used dropped
first), and forgotten when a merge retires the segment. A new segment has a new random id,
so nothing decoded from another segment is ever read for it.

KeptLeaf is Whoosh's W3LeafMatcher over those arrays as one block: the same documents,
weights and values in the same order, so the same scores (BM25F reads a weight and a length).
Its block bounds are those of the whole list, which are still bounds: a top-N search that
skips blocks by quality skips less, and finds the same documents.
"""

from __future__ import annotations

import functools
import threading
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable

from whoosh.codec.whoosh3 import W3LeafMatcher, W3TermsReader
from whoosh.filedb.filestore import Storage
from whoosh.searching import Searcher

# bytes of decoded postings kept per index, as counted below (ids and weights: 12 bytes a
# posting; a score: 8; a value: its length and a bytes object; positions: 4 bytes each): at
# least BUDGET, and SHARE of the size of the index's segments. The common words cost the most
# to decode and their lists grow with the index: the benchmark's 50 queries read 13 MB of
# decoded postings at 10,000 lessons (38 MB of index) and 65 MB at 50,000 (160 MB). Held to
# 32 MB there, they pushed each other out, and a first-time search decoded again what the
# one before had decoded (50,000 lessons, p95 324 -> 123 ms of CPU, "root cause" 499 -> 101).
BUDGET = 32 * 1024 * 1024
SHARE = 0.5
_OBJECT = 40
# a word's place, at position p of document d, is p * PLACE_STEP + d: k positions on is then
# k * PLACE_STEP more, and the low 32 bits hold p + d (positions below 2**31: the array
# decoding them refuses more; a segment's documents far fewer; a phrase at most 40 words), so
# that d is (place & PLACE_LOW) - (place >> 32). Places of one position in different documents
# differ in their lowest bits, where a set looks first (as p + d << 33 they were alike there,
# and sets of places took twice as long).
PLACE_STEP = (1 << 32) + 1
PLACE_LOW = (1 << 32) - 1


class Kept:
    """A term's postings in one segment: document numbers, weights and (once asked for)
    values, with the bounds Whoosh keeps per block taken over them all."""

    __slots__ = (
        "ids",
        "weights",
        "values",
        "positions",
        "scores",
        "maxweight",
        "minlength",
        "maxlength",
        "size",
        "grown",
    )

    def __init__(self, leaf: W3LeafMatcher) -> None:
        ids, weights = array("I"), array("d")  # a float32 weight is exact as a double
        maxweight, minlength, maxlength = 0.0, None, 0
        while True:
            leaf._read_ids()
            leaf._read_weights()
            ids.extend(leaf._ids)
            weights.extend(iter(leaf._weights))
            maxweight = max(maxweight, leaf._maxweight)
            minlength = leaf._minlength if minlength is None else min(minlength, leaf._minlength)
            maxlength = max(maxlength, leaf._maxlength)
            if leaf._lastblock:
                break
            leaf._next_block()
        self.ids, self.weights, self.values, self.positions = ids, weights, None, None
        # (idf, average length, B, K1) -> every posting's BM25F score
        self.scores: dict[tuple[float, float, float, float], array] = {}
        self.maxweight, self.minlength, self.maxlength = maxweight, minlength, maxlength
        self.size = 12 * len(ids)
        self.grown: Callable[[int], None] = lambda added: None  # the cache counting it

    def add_values(self, values: tuple) -> None:
        if self.values is None:
            self.values = values
            self.grown(sum(_OBJECT + len(v) for v in values if v is not None))

    def add_positions(self, values: tuple, decode: Callable[[bytes], list[int]]) -> None:
        """Every posting's positions in one array as places (PLACE_STEP: a phrase is then
        found by set operations over a whole part of the segment), posting i's from
        starts[i] to starts[i + 1]."""
        if self.positions is None:
            places, starts = array("Q"), array("I", [0])
            for d, value in zip(self.ids, values, strict=True):
                places.extend([p * PLACE_STEP + d for p in array("i", decode(value))])
                starts.append(len(places))
            self.positions = (places, starts)
            self.grown(8 * len(places) + 4 * len(starts))

    def bm25(self, idf: float, avgfl: float, b: float, k1: float, lengths: list) -> array:
        """Every posting's score as BM25FScorer.score gives it (scoring.bm25: the same
        operations in the same order), from the document lengths the scorer reads. Kept for
        the last two sets of statistics: they change only when the index does."""
        key = (idf, avgfl, b, k1)
        scores = self.scores.get(key)
        if scores is None:
            scores = array(
                "d",
                [
                    idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))
                    for tf, fl in zip(self.weights, map(lengths.__getitem__, self.ids), strict=True)
                ],
            )
            before = len(self.scores)
            self.scores = {**dict(list(self.scores.items())[-1:]), key: scores}
            self.grown(8 * len(scores) * (len(self.scores) - before))
        return scores


def every_block(leaf: W3LeafMatcher, part: str) -> list:
    """A fresh matcher's `part` ("ids" or "values") of every block, in order, read a block at
    a time (its all_ids() and all_values() are a generator step a posting)."""
    read = getattr(leaf, f"_read_{part}")
    found: list = []
    while True:
        read()
        found.extend(getattr(leaf, f"_{part}"))
        if leaf._lastblock:
            return found
        leaf._next_block()


class KeptLeaf(W3LeafMatcher):
    """W3LeafMatcher reading a Kept list as a single block (module docstring)."""

    def __init__(
        self,
        kept: Kept,
        fresh: Callable[[], W3LeafMatcher],
        format_: object,
        term: tuple[str, bytes],
        scorer: object,
    ) -> None:
        self._postfile = None
        self.format = format_
        self._term = term
        self._byteids = False
        self.scorer = scorer
        self._fixedsize = format_.fixed_value_size()
        self._kept = kept
        self._fresh = fresh  # Whoosh's own matcher of the term, reading the file
        self.reset()

    def reset(self) -> None:
        kept = self._kept
        self._blocklength = len(kept.ids)
        self._maxid = kept.ids[-1]
        self._maxweight = kept.maxweight
        self._compression = False
        self._minlength, self._maxlength = kept.minlength, kept.maxlength
        self._lastblock = True
        self._atend = False
        self._data = kept  # what W3LeafMatcher would decode: already in the arrays below
        self._ids, self._weights, self._values = kept.ids, kept.weights, kept.values
        self._i = 0

    def _read_values(self) -> None:
        kept = self._kept
        if kept.values is None:
            kept.add_values(tuple(every_block(self._fresh(), "values")))
        self._values = kept.values

    def bm25(self, scorer: object = None, lengths: list | None = None) -> array:
        """The score of every posting, for a BM25FScorer reading kept lengths (as
        unions._plain_term checks): the matcher's own, or one of the same statistics and
        the segment's lengths (related._matcher)."""
        scorer = scorer or self.scorer
        lengths = scorer.dfl.__self__ if lengths is None else lengths
        return self._kept.bm25(scorer.idf, scorer.avgfl, scorer.B, scorer.K1, lengths)

    def positions(self) -> tuple[array, array]:
        """(places, starts) of Kept.add_positions: word positions (format.decoder
        ("positions")) decoded once, the values read for them not kept unless Whoosh's own
        code asked for them."""
        kept = self._kept
        if kept.positions is None:
            values = (
                kept.values
                if kept.values is not None
                else tuple(every_block(self._fresh(), "values"))
            )
            kept.add_positions(values, self.format.decoder("positions"))
        return kept.positions

    def skip_to(self, targetid: int) -> None:
        """W3LeafMatcher.skip_to (the first posting at or after targetid, or the end), by
        bisection: inside one block Whoosh steps a posting at a time."""
        if not self.is_active():
            super().skip_to(targetid)  # Whoosh's ReadTooFar
        i = bisect_left(self._ids, targetid, self._i)
        self._i = i
        if i == self._blocklength:
            self._atend = True  # what next() does past the last block


class PostingCache:
    """Kept postings of every segment a searcher reads, shared by all threads."""

    def __init__(self, budget: int = BUDGET, share: float = SHARE) -> None:
        self.least, self.share = budget, share
        self.budget = budget
        self._kept: OrderedDict[tuple[str, str, bytes], Kept] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._here = threading.local()

    def decoded_here(self) -> int:
        """Bytes of postings this thread has decoded into the cache (collect.Budget)."""
        return getattr(self._here, "bytes", 0)

    def follow(self, searcher: Searcher, storage: Storage | None = None) -> None:
        """Have the (newest) searcher's segment readers read term postings through this
        cache, forget the segments it no longer has, and size the budget to its segments (the
        files of the index folder, `storage`)."""
        self._keep_only(searcher)
        size = 0
        for reader, _ in searcher.reader().leaf_readers():
            terms = getattr(reader, "_terms", None)
            segment = reader.segment() if hasattr(reader, "segment") else None
            if type(terms) is W3TermsReader and segment is not None:
                terms.matcher = self._matcher_of(terms, segment.segment_id())
                size += _segment_size(storage, segment) if storage is not None else 0
        with self._lock:
            self.budget = max(self.least, int(size * self.share))
            self._trim()

    def _matcher_of(self, terms: W3TermsReader, segment_id: str) -> Callable:
        whoosh_matcher = W3TermsReader.matcher.__get__(terms)

        def matcher(fieldname: str, tbytes: bytes, format_: object, scorer: object = None):  # noqa: ANN202
            key = (segment_id, fieldname, tbytes)
            kept = self._get(key)
            if kept is None:
                m = whoosh_matcher(fieldname, tbytes, format_, scorer=scorer)
                if type(m) is not W3LeafMatcher:
                    return m  # inlined postings (one document): Whoosh's ListMatcher
                kept = Kept(m)
                self._put(key, kept)

            def fresh() -> W3LeafMatcher:
                return whoosh_matcher(fieldname, tbytes, format_)

            return KeptLeaf(kept, fresh, format_, (fieldname, tbytes), scorer)

        return matcher

    def _get(self, key: tuple[str, str, bytes]) -> Kept | None:
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
            return kept

    def _put(self, key: tuple[str, str, bytes], kept: Kept) -> None:
        self._here.bytes = self.decoded_here() + kept.size
        with self._lock:
            old = self._kept.pop(key, None)
            if old is not None:
                self._size -= old.size
            self._kept[key] = kept
            self._size += kept.size
            kept.grown = functools.partial(self._grow, key, kept)
            self._trim()

    def _grow(self, key: tuple[str, str, bytes], kept: Kept, added: int) -> None:
        """Count what a kept list decoded later (values, positions, scores)."""
        self._here.bytes = self.decoded_here() + added
        with self._lock:
            kept.size += added
            if self._kept.get(key) is kept:
                self._size += added
                self._trim()

    def _trim(self) -> None:
        while self._size > self.budget and len(self._kept) > 1:
            _, dropped = self._kept.popitem(last=False)
            self._size -= dropped.size

    def _keep_only(self, searcher: Searcher) -> None:
        live = {segment.segment_id() for segment in searcher.reader().segments() or []}
        with self._lock:
            for key in [k for k in self._kept if k[0] not in live]:
                self._size -= self._kept.pop(key).size


def _segment_size(storage: Storage, segment) -> int:  # noqa: ANN001
    """The bytes of a segment's files (one compound file, or a file per part)."""
    try:
        if segment.is_compound():
            return storage.file_length(segment.make_filename(".seg"))
        prefix = segment.make_filename("")
        return sum(storage.file_length(n) for n in storage.list() if n.startswith(prefix))
    except OSError:  # a file a merge removed meanwhile: this look counts it as empty
        return 0
