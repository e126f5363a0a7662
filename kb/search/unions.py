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
from bisect import bisect_left
from collections.abc import Sequence
from itertools import repeat
from operator import add, sub

from whoosh import matching, query, scoring
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.searching import Searcher
from whoosh.util import make_weighted_tree

from kb.search import phrases
from kb.search.postings import KeptLeaf

# a tree of UnionMatchers as index pairs: an int is the sub-matcher of that index
Tree = int | tuple["Tree", "Tree"]
# TreeScores adds two sides up document by document when one holds at most this share of a
# part's documents: a Python step each, else one C loop over the whole part (about 8 times
# as fast per document)
FEW = 1 / 8


def _plain_term(m: matching.Matcher) -> tuple[W3LeafMatcher, FilterMatcher | None] | None:
    """(the postings, the filter leaving out deleted documents) of a term that BM25F scores
    from kept field lengths (kb.search.lengths), or None for any other matcher."""
    leaf, deleted = m, None
    if type(m) is FilterMatcher and m._exclude:
        leaf, deleted = m.child, m
    if type(leaf) not in (W3LeafMatcher, KeptLeaf) or type(leaf.scorer) is not scoring.BM25FScorer:
        return None
    if type(getattr(leaf.scorer.dfl, "__self__", None)) is not list:
        return None
    return leaf, deleted


def _plain_phrase(m: matching.Matcher) -> list[tuple[W3LeafMatcher, FilterMatcher | None]] | None:
    """The plain terms of a quoted phrase tested by positions alone (phrases.add_scores), or
    None for any other matcher."""
    if type(m) is not phrases.AdjacentMatcher or not m.plain or not m.is_active():
        return None
    terms = [_plain_term(sub) for sub in m.ms]
    return None if None in terms else terms


class ArrayScores(matching.ArrayUnionMatcher):
    """Whoosh's ArrayUnionMatcher with its scores added up faster (module docstring)."""

    # whether each sub-matcher adds into an array of zeros of its own, at a boost of 1.0: a
    # score then is written as it is (0.0 + s * 1.0 is s for every score BM25F gives, all
    # of them over 0)
    FRESH = False

    def __init__(
        self,
        ms: list[matching.Matcher],
        doccount: int,
        *,
        boost: float = 1.0,
        scored: bool = True,
        partsize: int = 2048,
    ) -> None:
        # ArrayUnionMatcher.__init__, its array of zeros made at once rather than from a
        # generator of 2,048 steps (2 % of an unseen search)
        matching.CombinationMatcher.__init__(self, ms, boost=boost)
        self._scored, self._doccount, self._partsize = scored, doccount, partsize or doccount
        self._a = array("d", bytes(8 * self._partsize))
        self._docnum = self._min_id()
        self._read_part()

    def _read_part(self) -> None:
        limit = min(self._docnum + self._partsize, self._doccount)
        offset = self._docnum
        a = self._a
        a[:] = array("d", bytes(8 * len(a)))  # cleared in place: all_ids() holds on to it
        for m in self._submatchers:
            self._add_sub(m, a, offset, limit)
        self._offset = offset
        self._limit = limit

    def _add_sub(
        self, m: matching.Matcher, a: array, offset: int, limit: int
    ) -> Sequence[int] | None:
        """Add m's scores below limit into a; returns the documents whose entries it may have
        changed, when it knows them (TreeScores adds a few of them up on their own)."""
        plain = _plain_term(m)
        if plain is not None:
            return self._add_plain(*plain, a, offset, limit)
        terms = _plain_phrase(m)
        if terms is None:
            self._add(m, a, offset, limit)
            return None
        boost = None if self.FRESH else self._boost
        return phrases.add_scores(m, terms, a, offset, limit, boost, self._scored)

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
    ) -> Sequence[int] | None:
        """_add for a plain term: the block's ids and weights read as arrays, its documents'
        field lengths from the list the scorer reads, bm25() written out (scoring.bm25: the
        same operations in the same order, so the same floating-point result)."""
        if type(leaf) is KeptLeaf and self._scored:
            return self._add_kept(leaf, deleted, a, offset, limit)
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
        return None

    def _add_kept(
        self, leaf: KeptLeaf, deleted: FilterMatcher | None, a: array, offset: int, limit: int
    ) -> array:
        """_add_plain over postings kept in memory (one block): each score read from the
        list kept for the scorer's statistics (KeptLeaf.bm25, the same numbers), the term
        left at its first posting from limit on, past the end when there is none."""
        boost, ids, i = self._boost, leaf._ids, leaf._i
        end = bisect_left(ids, limit, i)
        scores = leaf.bm25()
        if deleted is None and self.FRESH:
            for d, s in zip(ids[i:end], scores[i:end], strict=True):
                a[d - offset] = s  # 0.0 + s * 1.0
        elif deleted is None:
            for d, s in zip(ids[i:end], scores[i:end], strict=True):
                a[d - offset] += s * boost
        else:
            # the deleted-documents filter multiplies the term's score by its boost
            excluded, wrapped = deleted._ids, deleted.boost
            for d, s in zip(ids[i:end], scores[i:end], strict=True):
                if d not in excluded:
                    a[d - offset] += (s * wrapped) * boost
        leaf._i = end
        if end == leaf._blocklength:
            leaf._atend = True  # what next() does past the last block
        if deleted is not None:
            deleted._find_next()  # the filter's own step past deleted documents
        return ids[i:end]


class TreeScores(ArrayScores):
    """Whoosh's tree of UnionMatchers (its DefaultOr: segments of over 5,000 documents, or
    two fields) with the same matches and scores, worked out a part at a time: each
    sub-matcher's scores in an array of its own, added up along the same tree, so in the
    same order (a document one side lacks adds 0.0 there, which changes no number), then
    times the Or's boost as Whoosh's WrappingMatcher applies it."""

    FRESH = True

    def __init__(
        self,
        ms: list[matching.Matcher],
        doccount: int,
        tree: Tree,
        *,
        boost: float,
        scored: bool,
        partsize: int,
    ) -> None:
        self._tree, self._or_boost = tree, boost
        self._zeros = array("d", bytes(8 * partsize))
        self._parts = [array("d", self._zeros) for _ in ms]
        super().__init__(ms, doccount, boost=1.0, scored=scored, partsize=partsize)

    def _read_part(self) -> None:
        limit = min(self._docnum + self._partsize, self._doccount)
        offset = self._docnum
        filled: list[tuple[array, Sequence[int] | None] | None] = []
        for m, part in zip(self._submatchers, self._parts, strict=True):
            if m.is_active() and m.id() < limit:
                part[:] = self._zeros
                filled.append((part, self._add_sub(m, part, offset, limit)))
            else:
                filled.append(None)
        total, _ = _tree_sum(self._tree, filled, offset) or (None, None)
        if total is None:
            total = self._zeros
        elif self._or_boost != 1.0 and self._scored:
            boost = self._or_boost
            total = array("d", [score * boost for score in total])
        self._a[:] = total  # in place: all_ids() holds on to it
        self._offset = offset
        self._limit = limit


def _tree_sum(
    tree: Tree, parts: list[tuple[array, Sequence[int] | None] | None], offset: int
) -> tuple[array, Sequence[int] | None] | None:
    """UnionMatcher.score() for every document of a part: left + right where both have it,
    else the one that has it (None: neither side has any document in the part); with the
    documents whose scores may be other than 0, when known. When a side has few (FEW of the
    part at most), the other's scores are copied and only those documents added up (0.0 +
    x is x: every other document keeps its score)."""
    if type(tree) is int:
        return parts[tree]
    left, right = _tree_sum(tree[0], parts, offset), _tree_sum(tree[1], parts, offset)
    if left is None or right is None:
        return right if left is None else left
    (a, a_docs), (b, b_docs) = left, right
    known = [docs for docs in (a_docs, b_docs) if docs is not None]
    few = min(known, key=len) if known else None
    if few is None or len(few) > FEW * len(a):
        return array("d", map(add, a, b)), None
    total = array("d", b if few is a_docs else a)
    for j in map(sub, few, repeat(offset)):
        total[j] = a[j] + b[j]
    both = None if len(known) < 2 else [*a_docs, *b_docs]
    return total, both if both is not None and len(both) <= FEW * len(a) else None


def _shape(m: matching.Matcher, leaves: dict[int, int]) -> Tree:
    """The tree of `m` (built over the sub-matchers `leaves` numbers, by identity)."""
    if id(m) in leaves:
        return leaves[id(m)]
    return (_shape(m.a, leaves), _shape(m.b, leaves))


class FieldsOr(query.Or):
    """query.Or matched with ArrayScores where Whoosh would use its ArrayUnionMatcher and
    with TreeScores where it would use a tree of UnionMatchers that nothing asks for the
    current match (the choices Or._matcher and DefaultOr._matcher make, whoosh-reloaded
    2.7.5), else exactly as Whoosh matches it."""

    PART = 2048  # documents whose scores are added up at a time (Whoosh's partsize)

    def _matcher(
        self, subs: list[query.Query], searcher: Searcher, context: object
    ) -> matching.Matcher:
        scored = context.weighting is not None if context else True
        if self._preloads(subs, searcher, context):
            ms = [sub.matcher(searcher, context) for sub in subs]
            return ArrayScores(
                ms, searcher.doc_count_all(), boost=self.boost, scored=scored, partsize=self.PART
            )
        needs_current = context.needs_current if context else True
        if needs_current or self.scale or self.matcher_type != self.AUTO_MATCHER:
            return super()._matcher(subs, searcher, context)
        ms = [sub.matcher(searcher, context) for sub in subs]
        # the tree DefaultOr builds (sizes as weights), its UnionMatchers only read for shape
        reader = searcher.reader()
        weighted = [(q.estimate_size(reader), m) for q, m in zip(subs, ms, strict=True)]
        whole = make_weighted_tree(matching.UnionMatcher, weighted)
        tree = _shape(whole, {id(m): i for i, m in enumerate(ms)})
        return TreeScores(
            ms,
            searcher.doc_count_all(),
            tree,
            boost=self.boost,
            scored=scored,
            partsize=self.PART,
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
