"""Phrase search with a cheaper test of "are the words next to each other".

Whoosh matches a phrase with SpanNear2: for every document holding all its words it builds a
Span object per position of every word and walks them with a binary search, which was half of
a phrase query's time ("critical path": 7,700 such documents at 10,000 lessons). When the words
must simply follow one another (slop 1, in order: what a quoted phrase means) the test is a
set intersection of positions: word k at position p + k for some p. The same documents match,
with the same spans, and the score is untouched (SpanNear2 scores as the plain And of its
words); anything else is left to Whoosh. Inside a word spread over the fields
(kb.search.unions), a phrase of plain terms is matched a part of the segment at a time
(add_scores): each word's postings read from their block arrays, positions decoded only for
the documents holding every word, the score added up as Whoosh's tree of IntersectionMatchers
adds it.
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from itertools import compress, filterfalse, repeat
from operator import add, and_, rshift, sub

from whoosh import matching, query
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query.spans import Span, SpanNear2
from whoosh.searching import Searcher

from kb.search.postings import PLACE_LOW, PLACE_STEP, KeptLeaf


class AdjacentMatcher(SpanNear2.SpanNear2Matcher):
    def __init__(self, ms: list[matching.Matcher], **options: object) -> None:
        # spans of plain positions (with characters, Whoosh's spans carry them too); set
        # first: Whoosh's __init__ already looks for the first match
        self.plain = all(m.supports("positions") and not m.supports("characters") for m in ms)
        super().__init__(ms, **options)

    def _get_spans(self) -> list[Span]:
        ms = self.ms
        if not self.plain:
            return super()._get_spans()
        starts = set(ms[0].value_as("positions"))
        for k in range(1, len(ms)):
            if not starts:
                return []
            starts.intersection_update(p - k for p in ms[k].value_as("positions"))
        last = len(ms) - 1
        return [Span(start, start + last) for start in sorted(starts)]


def add_scores(
    m: AdjacentMatcher,
    terms: list[tuple[W3LeafMatcher, FilterMatcher | None]],
    a: array,
    offset: int,
    limit: int,
    boost: float | None,
    scored: bool,
) -> Sequence[int]:
    """ArrayUnionMatcher's loop for one sub-matcher (a[d - offset] += m.score() * boost for
    each match d below limit, then m at its first match from limit on) for a phrase of
    plain terms (each a W3LeafMatcher scored by BM25F from kept lengths, perhaps behind
    the filter of deleted documents: kb.search.unions._plain_term). Returns the matches.
    Boost None: the part is all zeros and the boost 1.0 (unions.TreeScores.FRESH), each
    score written as it is."""
    kept = all(type(leaf) is KeptLeaf for leaf, _ in terms)
    docs, scores = (_kept_phrase if kept else _read_phrase)(terms, limit, scored)
    if scores is None:
        for d in docs:
            a[d - offset] = 1
    elif boost is None:
        for d, score in zip(docs, scores, strict=True):
            a[d - offset] = score  # 0.0 + score * 1.0
    else:
        for d, score in zip(docs, scores, strict=True):
            a[d - offset] += score * boost
    for _, deleted in terms:
        if deleted is not None:
            deleted._find_next()  # the filter's own step past deleted documents
    _align(m.child)
    m._find_next()  # the spans of the next document holding every word, as next() finds
    return docs


def _read_phrase(
    terms: list[tuple[W3LeafMatcher, FilterMatcher | None]], limit: int, scored: bool
) -> tuple[list[int], list[float] | None]:
    """_kept_phrase for postings read from the file: positions decoded for the documents
    holding every word, one document at a time."""
    columns = [_postings_before(leaf, deleted, limit) for leaf, deleted in terms]
    common = set(columns[0]).intersection(*columns[1:])
    decode = [leaf.format.decoder("positions") for leaf, _ in terms]
    docs, scores = [], []
    for d in sorted(common):
        starts = set(decode[0](columns[0][d][1]))
        for k in range(1, len(terms)):
            starts.intersection_update(p - k for p in decode[k](columns[k][d][1]))
            if not starts:
                break
        if not starts:
            continue
        docs.append(d)
        if scored:
            each = [
                _bm25(*term, column[d][0], d) for term, column in zip(terms, columns, strict=True)
            ]
            scores.append(_tree_sum(each, 0, len(each)))
    return docs, scores if scored else None


def _kept_phrase(
    terms: list[tuple[KeptLeaf, FilterMatcher | None]], limit: int, scored: bool
) -> tuple[Sequence[int], Iterable[float] | None]:
    """For postings kept in memory (kb.search.postings): the documents below limit holding
    the phrase (but the deleted ones), found from each word's places (document and position)
    over the part at once, and, when scored, the score of each as add_scores' loop adds it up
    (the words' kept scores, KeptLeaf.bm25, taken as _bm25 takes them). Each term left at its
    first posting from limit on."""
    parts = []  # per word, its postings below limit: (first, end)
    for leaf, _ in terms:
        i = leaf._i
        end = bisect_left(leaf._ids, limit, i)
        parts.append((i, end))
        leaf._i = end
        if end == leaf._blocklength:
            leaf._atend = True  # what next() does past the last block
    spans = []  # per word, its places in the part
    for (leaf, _), (i, end) in zip(terms, parts, strict=True):
        kept, starts = leaf.positions()
        spans.append(kept[starts[i] : starts[end]])
    excluded = set().union(*(deleted._ids for _, deleted in terms if deleted is not None))
    # a word all of whose places are in the phrase (each of its postings then holds it: a
    # posting is a word the document holds), else None and the places of the phrase
    whole, places = (0, None) if _follow(spans) else _adjacent(spans)
    if whole is None:
        places = list(places)  # a place's document: (place & PLACE_LOW) - (place >> 32)
        lows, positions = map(and_, places, repeat(PLACE_LOW)), map(rshift, places, repeat(32))
        held = set(map(sub, lows, positions)).difference(excluded)
        docs = sorted(held)
    else:
        leaf, (i, end) = terms[whole][0], parts[whole]
        docs = leaf._ids[i:end]
        docs = list(filterfalse(excluded.__contains__, docs)) if excluded else docs
        held = None
    if not scored:
        return docs, None
    columns = []  # per word, the score of each document, as _bm25 gives it
    for (leaf, deleted), (i, end) in zip(terms, parts, strict=True):
        column = leaf.bm25()[i:end]
        if end - i != len(docs):  # docs is among the word's postings, both in increasing order
            held = set(docs) if held is None else held
            column = compress(column, map(held.__contains__, leaf._ids[i:end]))
        # a word's score times its deleted-documents filter's boost, as _bm25 gives it
        columns.append(column if deleted is None else map(deleted.boost.__rmul__, column))
    return docs, _sum_columns(columns, 0, len(columns))


def _follow(spans: list[array]) -> bool:
    """Whether word k's places (kb.search.postings.PLACE_STEP) are word 0's k positions on,
    all of them (in this part its words never occur apart from one another)."""
    return all(len(part) == len(spans[0]) for part in spans) and all(
        _number(part) == _number(spans[0]) + k * _steps(len(part))
        for k, part in enumerate(spans[1:], start=1)
    )


def _adjacent(spans: list[array]) -> tuple[int | None, set[int]]:
    """The places of the last word wherever each word k before it is (last - k) positions
    back: every word's places moved on to the last word's (_moved), intersected from a set of
    the word with fewest; and that word when all its places are among them, else None."""
    last = len(spans) - 1
    moved = [part if k == last else _moved(part, last - k) for k, part in enumerate(spans)]
    fewest = min(range(len(moved)), key=lambda k: len(moved[k]))
    places = set(moved[fewest])
    for k, part in enumerate(moved):
        if places and k != fewest:
            places = places.intersection(part)
    return (fewest if len(places) == len(moved[fewest]) else None), places


def _number(places: array) -> int:
    """The array's bytes read as one integer: each place a digit in base 2**64."""
    return int.from_bytes(places, sys.byteorder)


def _steps(n: int) -> int:
    """The number whose n base-2**64 digits are all PLACE_STEP (k times it moves every place
    k positions on)."""
    return _number(array("Q", [PLACE_STEP]) * n)


def _moved(places: array, k: int) -> array:
    """Every place k positions on, at once: k * PLACE_STEP added to every base-2**64 digit of
    the array read as a number, none of which carries (a place stays below 2**63 + 2**32)."""
    moved = array("Q")
    moved.frombytes(
        (_number(places) + k * _steps(len(places))).to_bytes(8 * len(places), sys.byteorder)
    )
    return moved


def _sum_columns(columns: list[Iterable[float]], lo: int, hi: int) -> Iterable[float]:
    """_tree_sum of every document's scores at once (the same additions in the same order)."""
    if hi - lo == 1:
        return columns[lo]
    mid = lo + (hi - lo) // 2
    return map(add, _sum_columns(columns, lo, mid), _sum_columns(columns, mid, hi))


def _postings_before(
    leaf: W3LeafMatcher, deleted: FilterMatcher | None, limit: int
) -> dict[int, tuple[float, object]]:
    """document -> (weight, encoded value) of leaf's postings below limit, but the deleted
    ones; leaf is left at its first posting from limit on."""
    found: dict[int, tuple[float, object]] = {}
    excluded = deleted._ids if deleted is not None else ()
    while leaf.is_active():
        if leaf._ids is None:
            leaf._read_ids()
        if leaf._weights is None:
            leaf._read_weights()
        if leaf._values is None:
            leaf._read_values()
        ids, weights, values, i, n = (
            leaf._ids,
            leaf._weights,
            leaf._values,
            leaf._i,
            leaf._blocklength,
        )
        while i < n:
            d = ids[i]
            if d >= limit:
                break
            if d not in excluded:
                found[d] = (weights[i], values[i])
            i += 1
        leaf._i = i
        if i < n:
            break
        leaf._next_block()  # what next() does at the end of a block
    return found


def _bm25(leaf: W3LeafMatcher, deleted: FilterMatcher | None, tf: float, d: int) -> float:
    """The term's score of document d as its matcher gives it: BM25FScorer.score (the same
    operations as scoring.bm25, in the same order), times the deleted-documents filter's
    boost when there is one."""
    scorer = leaf.scorer
    fl, b, k1 = scorer.dfl.__self__[d], scorer.B, scorer.K1
    s = scorer.idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / scorer.avgfl)))
    return s if deleted is None else s * deleted.boost


def _tree_sum(scores: list[float], lo: int, hi: int) -> float:
    """The sum as make_binary_tree(IntersectionMatcher, ...) adds its words' scores."""
    if hi - lo == 1:
        return scores[lo]
    mid = lo + (hi - lo) // 2
    return _tree_sum(scores, lo, mid) + _tree_sum(scores, mid, hi)


def _align(m: matching.Matcher) -> None:
    """Bring a tree of IntersectionMatchers whose leaves moved on to their next common
    document (bottom up, as their own skip_to would)."""
    if type(m) is not matching.IntersectionMatcher:
        return
    _align(m.a)
    _align(m.b)
    if m.a.is_active() and m.b.is_active() and m.a.id() != m.b.id():
        m._find_next()


class _AdjacentNear(SpanNear2):
    def matcher(self, searcher: Searcher, context: object = None) -> matching.Matcher:
        if self.slop != 1 or not self.ordered or self.mindist != 1:
            return super().matcher(searcher, context)
        ms = [q.matcher(searcher, context) for q in self.qs]
        return AdjacentMatcher(ms, slop=self.slop, ordered=self.ordered, mindist=self.mindist)


class AdjacentPhrase(query.Phrase):
    """query.Phrase, matched as Whoosh does (Phrase.matcher, whoosh-reloaded 2.7.5) but
    with _AdjacentNear in place of SpanNear2."""

    def matcher(self, searcher: Searcher, context: object = None) -> matching.Matcher:
        fieldname = self.fieldname
        if fieldname not in searcher.schema:
            return matching.NullMatcher()
        field = searcher.schema[fieldname]
        if not field.format or not field.format.supports("positions"):
            return super().matcher(searcher, context)  # Whoosh's own error
        reader = searcher.reader()
        terms = []
        for word in self.words:
            try:
                text = field.to_bytes(word)
            except ValueError:
                return matching.NullMatcher()
            if (fieldname, text) not in reader:
                return matching.NullMatcher()  # a word the segment lacks: no match
            terms.append(query.Term(fieldname, text))
        m = _AdjacentNear(terms, slop=self.slop, ordered=True, mindist=1).matcher(searcher, context)
        return m if self.boost == 1.0 else matching.WrappingMatcher(m, boost=self.boost)
