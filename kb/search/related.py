"""A document's relatives: the query behind SearchIndex.more_like (which caches it).

The answer is the top of Whoosh's Or of the same boosted Terms (the same BM25F scorers, the
same boosts, the sum per document), computed one term at a time with "max score" pruning so
that the work follows the document's distinctive words, not the size of the index. Terms
are read best first (by the most any one document can get from them); once what the unread
ones could add together is below the score a relative already has, those terms' postings
are only looked up for the documents that could still make the top, never read in full
(common words: the longest lists, the least weight). Access is the set of documents the
reader may not see, which searches share (kb.search.access.HiddenSets). (Whoosh's own search
ran the union as a deep tree of matchers per posting, with access as a filter that lost
documents when it skipped blocks.)
"""

from __future__ import annotations

import bisect
import heapq
from collections import defaultdict
from collections.abc import Container, Iterator
from dataclasses import dataclass, field
from operator import itemgetter

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching import Matcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.scoring import BM25FScorer
from whoosh.searching import Searcher

from kb.search import lengths
from kb.search.postings import KeptLeaf
from kb.search.records import Hit
from kb.search.schema import make_hit, plain_snippet

#: the best candidates looked at for the `limit` visible ones before sorting them all
CANDIDATES = 4


@dataclass(frozen=True)
class _Clause:
    fieldname: str
    text: bytes
    boost: float
    #: the most one document can get from it
    bound: float
    #: Whoosh's scorer of the term for the whole index
    scorer: object = field(compare=False)


def related_hits(searcher: Searcher, doc_id: str, limit: int, hidden: Container[int]) -> list[Hit]:
    """Documents sharing the most distinctive words, tags and topics of `doc_id`, but the
    `hidden` ones (document numbers the reader may not see); none for a hidden document."""
    docnum = searcher.document_number(id=doc_id)
    if docnum is None or limit < 1 or docnum in hidden:
        return []  # not theirs to see: neither are its relatives
    stored = searcher.stored_fields(docnum)
    text = " ".join(stored.get(k) or "" for k in ("title", "summary", "body"))
    # body is stored, not vectored: derive key terms from its text.
    key_terms = searcher.key_terms_from_text("body", text, numterms=12)
    terms: list[tuple[str, str, float]] = []
    for word, weight in key_terms:
        terms.append(("body", word, weight))
        terms.append(("title", word, weight))
    for fieldname in ("tags", "topics"):
        for value in (stored.get(fieldname) or "").split(","):
            if value:
                terms.append((fieldname, value, 2.0))
    clauses = _clauses(searcher, list(dict.fromkeys(terms)))
    chosen, scores = _top(searcher, clauses, limit, docnum, hidden)
    return [
        make_hit(fields, scores[d], plain_snippet(fields))
        for d in chosen
        for fields in [searcher.stored_fields(d)]
    ]


def _clauses(searcher: Searcher, terms: list[tuple[str, str, float]]) -> list[_Clause]:
    """The terms the index holds, each with its bound: boost x the BM25F score of its
    highest weight in its shortest field (a score grows with the weight and shrinks with
    the length)."""
    clauses = []
    reader = searcher.reader()
    for fieldname, text, boost in terms:
        term = (fieldname, searcher.schema[fieldname].to_bytes(text))
        if term in reader:
            scorer = searcher.weighting.scorer(searcher, fieldname, term[1])
            bound = boost * scorer.max_quality() * (1 + 1e-9)
            clauses.append(_Clause(fieldname, term[1], boost, bound, scorer))
    return clauses


def _top(
    searcher: Searcher,
    clauses: list[_Clause],
    limit: int,
    own: int,
    hidden: Container[int],
) -> tuple[list[int], dict[int, float]]:
    """The `limit` best documents but `own` and the `hidden` ones, best first (equal scores
    in index order, as Whoosh's top-N collector ranks them), and their scores."""
    # document -> clause -> its score there: summed in clause order at the end, so that
    # the sum is the one Whoosh's Or makes
    parts: dict[int, dict[int, float]] = defaultdict(dict)
    partial: dict[int, float] = defaultdict(float)  # the running sum, in reading order
    order = sorted(range(len(clauses)), key=lambda i: -clauses[i].bound)
    unread = sum(c.bound for c in clauses)
    hopeful: list[int] | None = None  # None: any document may still make the top
    for i in order:
        found = _postings(searcher, clauses[i], hopeful)
        for docnum, score in found:
            if docnum != own:
                parts[docnum][i] = score
                partial[docnum] += score
        unread -= clauses[i].bound
        if unread >= max(partial.values(), default=0.0):
            continue  # no floor can be above what is left to read yet
        floor = _floor(partial, limit, hidden)  # final scores only grow
        if unread < floor:  # a document none of the read terms holds cannot reach it
            hopeful = sorted(d for d in hopeful or partial if partial[d] + unread >= floor)
    scores = {d: sum(p[i] for i in sorted(p)) for d, p in parts.items()}
    visible = [d for d in scores if d not in hidden]
    return heapq.nsmallest(limit, visible, key=lambda d: (-scores[d], d)), scores


def _floor(scores: dict[int, float], limit: int, hidden: Container[int]) -> float:
    """The `limit`-th best score of a visible document (0 when fewer are scored): which of
    equal scores counts does not change it, so the best are found by score alone."""
    best = heapq.nlargest(CANDIDATES * limit, scores.items(), key=itemgetter(1))
    ranked = [score for d, score in best if d not in hidden]
    if len(ranked) < limit and len(best) < len(scores):  # hidden ones among the best
        ranked = sorted((s for d, s in scores.items() if d not in hidden), reverse=True)
    return ranked[limit - 1] if len(ranked) >= limit else 0.0


def _leaves(searcher: Searcher) -> list[tuple[Searcher, int]]:
    return searcher.subsearchers or [(searcher, 0)]


def _postings(
    searcher: Searcher, clause: _Clause, only: list[int] | None
) -> Iterator[tuple[int, float]]:
    """(document number, boost x score) of the clause's postings, of the documents `only`
    (ascending) names when given: a block of postings (Whoosh's whoosh3 format) is
    skipped unread when it cannot hold one of them, and scored as a whole otherwise,
    by the scorer Whoosh's Term would use. Postings kept in memory (kb.search.postings: a
    list decoded once per segment) are read with their kept scores instead."""
    for leaf, offset in _leaves(searcher):
        if (clause.fieldname, clause.text) not in leaf.reader():
            continue
        wanted = None if only is None else [d - offset for d in only]
        wanted_set = None if wanted is None else set(wanted)
        m, deleted, kept_lengths = _matcher(searcher, leaf, clause)
        if kept_lengths is not None:
            yield from _kept_postings(m, clause, kept_lengths, wanted, deleted, offset)
            continue
        if not isinstance(m, W3LeafMatcher):  # another format: one posting at a time
            while m.is_active():
                if m.id() not in deleted and (wanted_set is None or m.id() in wanted_set):
                    yield m.id() + offset, m.score() * clause.boost
                m.next()
            continue
        scorer, at = m.scorer, 0
        while m.is_active():
            if wanted is not None:
                at = bisect.bisect_left(wanted, m.block_min_id(), at)
                if at == len(wanted):
                    break
                if wanted[at] > m.block_max_id():
                    m._next_block()
                    continue
            m.id()  # reads the block's document numbers
            m.weight()  # and weights
            for docnum, weight in zip(m._ids, m._weights, strict=True):
                if docnum not in deleted and (wanted_set is None or docnum in wanted_set):
                    score = scorer._score(weight, scorer.dfl(docnum))
                    yield docnum + offset, score * clause.boost
            m._next_block()


def _matcher(
    searcher: Searcher, leaf: Searcher, clause: _Clause
) -> tuple[Matcher, Container[int], list | None]:
    """The clause's postings in a leaf, the segment's deleted documents (left out of its
    postings by Whoosh's filter, unwrapped here) and, for postings kept in memory
    (kb.search.postings) scored by BM25F from kept field lengths, the leaf's lengths. They
    are scored by the clause's own scorer (BM25FScorer reads the idf and the average
    length from the top searcher, as the leaf's scorer would) with those lengths: no
    scorer is made per leaf, which reads the term's information from the file."""
    lens = None
    if type(clause.scorer) is BM25FScorer and type(searcher.weighting) is lengths.BM25F:
        lens = searcher.weighting.cache.lengths(leaf, clause.fieldname)
    if lens is not None:
        m, deleted = _unwrap(leaf.reader().postings(clause.fieldname, clause.text))
        if type(m) is KeptLeaf:
            return m, deleted, lens
    m = leaf.postings(clause.fieldname, clause.text, weighting=searcher.weighting)
    return (*_unwrap(m), None)


def _unwrap(m: Matcher) -> tuple[Matcher, Container[int]]:
    if isinstance(m, FilterMatcher) and m._exclude:  # the segment's deleted documents
        ids, m = m._ids, m.child
        m.reset()
        return m, ids
    return m, ()


def _kept_postings(
    m: KeptLeaf,
    clause: _Clause,
    lens: list,
    wanted: list[int] | None,
    deleted: Container[int],
    offset: int,
) -> Iterator[tuple[int, float]]:
    """_postings over a kept list. A few `wanted` documents of a long list are found by
    bisection and scored alone (scorer._score, the formula KeptLeaf.bm25 writes out): the
    list's scores are kept per index statistics, which every commit changes, so working
    them all out for a few documents would cost a first view the whole list. Otherwise
    every score is read from (or kept in) KeptLeaf.bm25."""
    ids, boost = m._ids, clause.boost
    if wanted is not None and len(wanted) * 8 < len(ids):
        weights, score = m._weights, clause.scorer._score
        at, end = 0, len(ids)
        for docnum in wanted:
            at = bisect.bisect_left(ids, docnum, at)
            if at == end:
                break
            if ids[at] == docnum and docnum not in deleted:
                yield docnum + offset, score(weights[at], lens[docnum]) * boost
        return
    scores = m.bm25(clause.scorer, lens)
    if wanted is None:
        for docnum, score in zip(ids, scores, strict=True):
            if docnum not in deleted:
                yield docnum + offset, score * boost
    else:
        wanted_set = set(wanted)
        for docnum, score in zip(ids, scores, strict=True):
            if docnum in wanted_set and docnum not in deleted:
                yield docnum + offset, score * boost
