"""Running a query with a filter and a work budget, both actually enforced.

Facet filters go inside the query as query.Require(q, filter): Whoosh intersects the filter's
postings with the query's and scores from the query alone. Not Whoosh's `filter=`: it turns
the filter into a Python set of every document it matches on every search, and its documented
time-limit recipe, TimeLimitCollector(searcher.collector(filter=...)), silently drops the
filter. The access rule is a set of the few documents the reader may not see (cached by the
caller per index contents and access key), left out as the matches go by: as a Require
it doubled the matching work, since nearly every document is visible.

The budget protects against hostile queries, not against a busy machine: it counts the CPU
time of the searching thread, never the wall clock, so a query queued behind seven others
for the processor is answered (slowly at worst) instead of refused (kb.core.budget).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Container
from collections.abc import Set as AbstractSet
from heapq import heappush, heapreplace
from itertools import compress, repeat
from operator import le, lt, not_

from whoosh import matching, query
from whoosh.collectors import Collector, TopCollector, WrappingCollector
from whoosh.searching import Results, Searcher

from kb.core.budget import CpuBudget
from kb.search import allof
from kb.search.records import QueryError
from kb.search.unions import ArrayScores, Tree, TreeScores

log = logging.getLogger(__name__)
# matches between two looks at the budget (a look costs a system call)
CHECK_EVERY = 256


def time_limit_error(limit: float) -> QueryError:
    return QueryError(
        f"This search needs too much work (over {limit:g} s of processor time); "
        "try fewer or more specific words."
    )


class Budget(CpuBudget):
    """Processor time for everything a query runs (a relaxed retry, the suggestion check),
    counted in the thread that created it.

    Decoding postings into memory (kb.search.postings, once per term and segment, for every
    later search) is not the query's own work: the first search of a common phrase after a
    start or a merge decodes its words' positions, 0.5 s of processor time at 50,000 lessons
    on a quiet machine, over 1 s on a busy one, where the same search then costs 0.1 s. So a
    budget that runs out in a search that decoded postings (`decoded`: the bytes this thread
    has decoded) starts again, once, as after a full collection (CpuBudget; one renewal in
    all): hostile work still stops within two budgets."""

    __slots__ = ("_decoded", "_decoded_before")

    def __init__(self, seconds: float, decoded: Callable[[], int] = lambda: 0) -> None:
        super().__init__(seconds)
        self._decoded, self._decoded_before = decoded, decoded()

    def remaining(self) -> float:
        left = self.left()
        if left <= 0 and not self._excused and self._decoded() != self._decoded_before:
            self._excused = True
            self.deadline = time.thread_time() + self.seconds
            return self.seconds
        if left <= 0:
            raise time_limit_error(self.seconds)
        return left


class _BudgetCollector(WrappingCollector):
    def __init__(
        self, child: Collector, budget: Budget, hidden: Container[int], matched: list[int]
    ) -> None:
        super().__init__(child)
        self.budget = budget
        self.hidden = hidden
        self.matched = matched

    def collect_matches(self) -> None:
        if isinstance(self.child, TopOfAll):
            self.child.collect_all(self.budget, self.hidden, self.matched)
            return
        collect, offset, hidden = self.child.collect, self.child.offset, self.hidden
        keep = self.matched.append
        for n, sub_docnum in enumerate(self.child.matches()):
            if n % CHECK_EVERY == 0:
                self.budget.remaining()
            docnum = offset + sub_docnum
            if docnum not in hidden:
                collect(sub_docnum)
                keep(docnum)


class _RequireMatcher(matching.RequireMatcher):
    def skip_to_quality(self, minquality: float) -> int:
        # Whoosh's own asserts (whoosh-reloaded 2.7.5) when the skip lands on a document
        # the filter holds too, which happens as soon as a top-N search skips blocks.
        skipped = self.a.skip_to_quality(minquality)
        if self.a.is_active() and self.b.is_active() and self.a.id() != self.b.id():
            self.child._find_next()
        return skipped


class _Require(query.Require):
    def matcher(self, searcher: Searcher, context: object = None) -> matching.Matcher:
        scored = self.a.matcher(searcher, context)
        return _RequireMatcher(scored, self.b.matcher(searcher, searcher.boolean_context()))


def restrict(q: query.Query, filter_q: query.Query | None) -> query.Query:
    """q limited to the documents filter_q matches, scored as q alone."""
    return q if filter_q is None else _Require(q, filter_q)


class TopOfAll(TopCollector):
    """The `limit` best-scored documents, having visited and counted every match. Whoosh's
    own top-N collector skips blocks, and replaces the matcher by one that leaves out the
    documents scoring below the top N once it is full: the total and facets need them all.
    Replacing with no minimum score only drops finished sub-matchers, which stays."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit, usequality=False)

    def collect_all(self, budget: Budget, hidden: AbstractSet[int], matched: list[int]) -> None:
        """Score every match of the current segment but the hidden ones, keeping the best
        `limit` as TopCollector does (equal scores: the lower document number first), in
        one loop: Whoosh's matches() and collect() cost a generator step and four calls a
        match. Every CHECK_EVERY matches it looks at the budget and lets the matcher drop
        finished sub-matchers (replace with no minimum score, as Whoosh does every 10).
        A word spread over the fields, or words and terms that must all be there, whose
        postings are kept: all its matches and scores at once (kb.search.allof), not a
        part of the segment at a time (_collect_scores, which reads every field's scores
        of all 2,048 documents of a part into arrays and adds them up along the field tree:
        at 50,000 lessons a first-time search of "supplier" took 27 ms that way, 23 ms)."""
        matcher, offset, items, limit = self.matcher, self.offset, self.items, self.limit
        keep = matched.append
        if self.final_fn is not None:
            raise TypeError("a weighting with a final() step needs Whoosh's own collect()")
        if type(matcher) in (ArrayScores, TreeScores):
            found = allof.common_scores(matcher, budget.remaining)
            if found is None:
                self.total += self._collect_scores(matcher, budget, hidden, matched)
                return
        elif type(matcher) in (matching.IntersectionMatcher, _RequireMatcher):
            found = self._all_of(matcher, budget)
        else:
            found = None
        if found is not None:
            docs = list(map(offset.__add__, found[0])) if offset else found[0]
            _offer(self, docs, found[1], hidden, matched)
            self.total += len(found[0])
            return
        n = 0
        while matcher.is_active():
            if n % CHECK_EVERY == 0:
                budget.remaining()
                matcher = matcher.replace(0)
                if not matcher.is_active():
                    break
            n += 1
            docnum = offset + matcher.id()
            if docnum not in hidden:
                keep(docnum)
                score = matcher.score()
                if len(items) < limit:
                    heappush(items, (score, 0 - docnum))
                elif score > items[0][0]:
                    heapreplace(items, (score, 0 - docnum))
            matcher.next()
        self.matcher = matcher
        self.total += n

    def _all_of(
        self, matcher: matching.Matcher, budget: Budget
    ) -> tuple[list[int], list[float]] | None:
        """(matches, scores) of words and terms that must all be there (a tree of
        IntersectionMatchers, perhaps under facet filters: _RequireMatcher), or None for
        another tree: the documents all of them hold
        found from the kept postings and scored alone (kb.search.allof), else, for words
        spread over the fields (ArrayScores) alone, every word's matches and scores read
        from its arrays and the shared documents scored as the tree adds up its words'
        scores (left + right). The matches an IntersectionMatcher finds are the documents
        all its words match, however it steps through them, so the same matches, scores,
        top N and total."""
        found = allof.common_scores(matcher, budget.remaining)
        leaves: list[ArrayScores] = []
        tree = _arrays(matcher, leaves) if found is None else None
        if tree is None:
            return found
        scores = [_all_scores(leaf, budget) for leaf in leaves]
        common = sorted(set(min(scores, key=len)).intersection(*scores))
        budget.remaining()
        return common, allof.tree_sum(tree, [list(map(f.__getitem__, common)) for f in scores])

    def _collect_scores(
        self,
        matcher: ArrayScores,
        budget: Budget,
        hidden: AbstractSet[int],
        matched: list[int],
    ) -> int:
        """collect_all's loop over a word spread over the fields (unions.ArrayScores: the
        scores of a part of the segment added up in an array), reading the array itself a
        part at a time: the matches and scores its next() and score() give. ArrayUnionMatcher
        .replace() is the matcher itself, so only the budget is looked at (once a part: at
        most PART documents of work). Returns the matches seen."""
        n = 0
        while matcher.is_active():
            budget.remaining()
            docs, scores = _part(matcher, self.offset)
            n += len(docs)
            _offer(self, docs, scores, hidden, matched)
        return n


def _part(m: ArrayScores, offset: int) -> tuple[list[int], list[float]]:
    """The matches (plus offset) and scores of m's current part from where it is, m moved to
    the next part: the documents scoring over 0, and the first one whatever its score, as the
    matcher takes it (without looking at its score). Picked out by itertools.compress (no
    Python step per document: a part holds 2,048, most of them often no match)."""
    a, base, first, end = m._a, m._offset, m._docnum, m._limit
    part = a[first - base : end - base].tolist()  # each score made a float object once
    rest = part[1:]
    docs = list(compress(range(offset + first + 1, offset + end), rest))
    scores = list(compress(rest, rest))
    # compress keeps the scores that are not 0; only ones over 0 are matches (the sum is
    # NaN when one is: min() would not see it)
    total = sum(scores)
    if scores and not (min(scores) > 0 and total == total):
        kept = [(d, s) for d, s in zip(docs, scores, strict=True) if s > 0]
        docs, scores = [d for d, _ in kept], [s for _, s in kept]
    m._docnum = end
    m._find_next()  # at the end of the part: the next one
    return [offset + first, *docs], [part[0], *scores]


def _offer(
    top: TopOfAll,
    docs: list[int],
    scores: list[float],
    hidden: AbstractSet[int],
    matched: list[int],
) -> None:
    """Collect matches (increasing document numbers) as TopCollector does: each visible one
    kept, the best `limit` in the heap (equal scores: the lower document number first). Once
    the heap is full, only a score above its lowest can enter it (and that lowest only
    grows), nor one below `limit` others here (_floor), so the others are left out at once,
    without a Python step each."""
    if hidden and not hidden.isdisjoint(docs):
        shown = list(map(not_, map(hidden.__contains__, docs)))
        docs, scores = list(compress(docs, shown)), list(compress(scores, shown))
    matched.extend(docs)
    items, limit = top.items, top.limit
    room = max(0, limit - len(items))
    for score, docnum in zip(scores[:room], docs[:room], strict=True):
        heappush(items, (score, 0 - docnum))
    if not items or len(docs) <= room:
        return
    rest, lowest = scores[room:], items[0][0]
    floor = _floor(rest, limit)
    if floor is not None and floor > lowest:
        above = list(map(le, repeat(floor), rest))
    else:
        above = list(map(lt, repeat(lowest), rest))
    for score, docnum in zip(
        compress(scores[room:], above), compress(docs[room:], above), strict=True
    ):
        if score > items[0][0]:
            heapreplace(items, (score, 0 - docnum))


def _floor(scores: list[float], limit: int) -> float | None:
    """A score that at least `limit` of `scores` reach, so that none below it is among the
    best `limit`: the lowest of the best of `limit` runs of them, each found in C (None for
    too few scores, or a NaN among those bests: a comparison with NaN is never true)."""
    run = len(scores) // limit
    if run < 8:
        return None
    starts = range(0, run * limit, run)
    best = list(
        map(max, map(scores.__getitem__, map(slice, starts, range(run, run * limit + 1, run))))
    )
    total = sum(best)
    return min(best) if total == total else None


def _arrays(m: matching.Matcher, leaves: list[ArrayScores]) -> Tree | None:
    """The shape of a tree of IntersectionMatchers over words spread over the fields (their
    matchers appended to leaves, numbered in that order), or None for any other tree."""
    if type(m) in (ArrayScores, TreeScores):
        leaves.append(m)
        return len(leaves) - 1
    if type(m) is not matching.IntersectionMatcher:
        return None
    a = _arrays(m.a, leaves)
    b = None if a is None else _arrays(m.b, leaves)
    return None if b is None else (a, b)


def _all_scores(m: ArrayScores, budget: Budget) -> dict[int, float]:
    """document -> score of every match m gives from where it is (TopOfAll._collect_scores'
    reading of the arrays); m is used up."""
    found: dict[int, float] = {}
    while m.is_active():
        budget.remaining()
        docs, scores = _part(m, 0)
        found.update(zip(docs, scores, strict=True))
    return found


def run(
    searcher: Searcher,
    q: query.Query,
    filter_q: query.Query | None,
    budget: Budget,
    *,
    hidden: Container[int] = frozenset(),
    collector: Collector | None = None,
    matched: list[int] | None = None,
    **options: object,
) -> Results:
    """searcher.search(q, filter=filter_q, **options) within the budget, else QueryError,
    leaving out the documents `hidden` holds (the reader may not see them). options are
    Searcher.collector() arguments other than filter, unless a collector is given.
    `matched`, when given, receives every document number found, in increasing order."""
    budget.remaining()
    child = collector or searcher.collector(**options)
    collector = _BudgetCollector(child, budget, hidden, [] if matched is None else matched)
    try:
        searcher.search_with_collector(restrict(q, filter_q), collector)
    except QueryError:
        log.info("search stopped after %s s of processor time: %r", budget.seconds, q)
        raise
    return collector.results()


def top(
    searcher: Searcher,
    q: query.Query,
    filter_q: query.Query | None,
    hidden: Container[int],
    sort: str,
    limit: int,
    budget: Budget,
) -> tuple[Results, list[int]]:
    """The first `limit` results by `sort` ("relevance" or "date", newest first) and the
    number of every matching document."""
    matched: list[int] = []
    if sort == "date":
        collector = searcher.collector(limit=limit, sortedby="date", reverse=True)
    else:
        collector = TopOfAll(limit)
    results = run(
        searcher, q, filter_q, budget, hidden=hidden, collector=collector, matched=matched
    )
    return results, matched
