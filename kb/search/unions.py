"""A word spread over several fields, scored a block of postings at a time.

An unfielded word becomes an Or of one Term per field (querylang.DEFAULT_FIELDS). On segments
of at most 5,000 documents Whoosh matches it with ArrayUnionMatcher, which adds each
field's scores into an array of 2,048 documents: four method calls per posting (is_active, id,
score, next), and BM25F's score two more. That loop was a quarter of an unseen search's
processor time. Here the postings of a plain term are read from their block arrays in one
loop and scored with the same formula on the same numbers, in the same order, so every score,
and so every answer, is the one Whoosh computes (a test compares them); anything else (a
boosted or prefix term, another scorer) goes through Whoosh's own loop.
"""

from __future__ import annotations

from array import array

from whoosh import matching, query, scoring
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.searching import Searcher


def _plain_term(m: matching.Matcher) -> tuple[W3LeafMatcher, FilterMatcher | None] | None:
    """(the postings, the filter leaving out deleted documents) of a term that BM25F scores
    from kept field lengths (kb.search.lengths), or None for any other matcher."""
    leaf, deleted = m, None
    if type(m) is FilterMatcher and m._exclude:
        leaf, deleted = m.child, m
    if type(leaf) is not W3LeafMatcher or type(leaf.scorer) is not scoring.BM25FScorer:
        return None
    if type(getattr(leaf.scorer.dfl, "__self__", None)) is not list:
        return None
    return leaf, deleted


class ArrayScores(matching.ArrayUnionMatcher):
    """Whoosh's ArrayUnionMatcher with its scores added up faster (module docstring)."""

    def _read_part(self) -> None:
        limit = min(self._docnum + self._partsize, self._doccount)
        offset = self._docnum
        a = self._a
        a[:] = array("d", bytes(8 * len(a)))  # cleared in place: all_ids() holds on to it
        for m in self._submatchers:
            plain = _plain_term(m)
            if plain is None:
                self._add(m, a, offset, limit)
            else:
                self._add_plain(*plain, a, offset, limit)
        self._offset = offset
        self._limit = limit

    def _add(self, m: matching.Matcher, a: array, offset: int, limit: int) -> None:
        # ArrayUnionMatcher._read_part's loop for one sub-matcher
        scored, boost = self._scored, self._boost
        while m.is_active() and m.id() < limit:
            i = m.id() - offset
            if scored:
                a[i] += m.score() * boost
            else:
                a[i] = 1
            m.next()

    def _add_plain(
        self,
        leaf: W3LeafMatcher,
        deleted: FilterMatcher | None,
        a: array,
        offset: int,
        limit: int,
    ) -> None:
        """_add for a plain term: the block's ids and weights read as arrays, its documents'
        field lengths from the list the scorer reads, bm25() written out (scoring.bm25: the
        same operations in the same order, so the same floating-point result)."""
        scorer, scored, boost = leaf.scorer, self._scored, self._boost
        lengths = scorer.dfl.__self__
        idf, avgfl, b, k1 = scorer.idf, scorer.avgfl, scorer.B, scorer.K1
        excluded = deleted._ids if deleted is not None else ()
        # the deleted-documents filter multiplies the term's score by its boost
        wrapped = deleted.boost if deleted is not None else 1.0
        while leaf.is_active():
            if leaf._ids is None:
                leaf._read_ids()
            if leaf._weights is None:
                leaf._read_weights()
            ids, weights, i, n = leaf._ids, leaf._weights, leaf._i, leaf._blocklength
            while i < n:
                d = ids[i]
                if d >= limit:
                    break
                if d not in excluded:
                    if scored:
                        tf, fl = weights[i], lengths[d]
                        s = idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))
                        if deleted is not None:
                            s = s * wrapped
                        a[d - offset] += s * boost
                    else:
                        a[d - offset] = 1
                i += 1
            leaf._i = i
            if i < n:
                break
            leaf._next_block()  # what next() does at the end of a block
        if deleted is not None:
            deleted._find_next()  # the filter's own step past deleted documents


class FieldsOr(query.Or):
    """query.Or matched with ArrayScores where Whoosh would use its ArrayUnionMatcher (the
    choice Or._matcher makes, whoosh-reloaded 2.7.5), else exactly as Whoosh matches it."""

    PART = 2048  # documents whose scores are added up at a time (Whoosh's partsize)

    def _matcher(
        self, subs: list[query.Query], searcher: Searcher, context: object
    ) -> matching.Matcher:
        if not self._preloads(subs, searcher, context):
            return super()._matcher(subs, searcher, context)
        scored = context.weighting is not None if context else True
        ms = [sub.matcher(searcher, context) for sub in subs]
        return ArrayScores(
            ms, searcher.doc_count_all(), boost=self.boost, scored=scored, partsize=self.PART
        )

    def _preloads(self, subs: list[query.Query], searcher: Searcher, context: object) -> bool:
        if self.matcher_type == self.ARRAY_MATCHER:
            return True
        if self.matcher_type != self.AUTO_MATCHER:
            return False
        needs_current = context.needs_current if context else True
        return not (
            len(subs) < self.TOO_MANY_CLAUSES
            and (needs_current or self.scale or len(subs) == 2 or searcher.doc_count_all() > 5000)
        )
