"""Words that must all be there, scored only where they all are.

A query of several words is a tree of IntersectionMatchers over words spread over the fields
(unions.ArrayScores, TreeScores). Read a part of the segment at a time, every word's scores
are worked out over every document it matches, each field's array added along the field tree,
before the words' documents are intersected: the cost follows each word's own postings (at
50,000 lessons "weekly" alone matches 30,000), not the documents all words share; a fielded
term among them (status:published risk) left the whole tree to Whoosh's loop, four calls a
match. Here, when every field of every word, and every term, is a plain term whose postings
are kept in memory (postings.Kept; Whoosh never inlines a posting list into its term info:
W3PostingsWriter's test `len(self) < inlinelimit` is never true at its default of 1), the
shared documents are found first from the kept document numbers by set operations (C loops, no
Python step a posting), deleted ones left out, and scores worked out for those documents
alone. Facet filters (collect._Require: a RequireMatcher over the query) only narrow them.
A lone word is such a tree of one leaf (collect.TopOfAll sends it here too): its documents
and scores at once, not a part of 2,048 documents at a time.

The scores are Whoosh's to the last bit: a field's score of a document is the number the
dense loop adds (the kept BM25F score times the deleted-documents filter's boost, times the
Or's boost), a field without the document gives 0.0 where the dense array holds 0.0, and x +
0.0 == x, so adding the fields in the same order along the same tree, then the words along
the intersection tree, gives the same sums. The dense loop counts a document as a word's
match when its sum is over 0: every score here is checked to be, else the caller goes the
dense way (nothing here moves a matcher).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from itertools import compress, repeat
from operator import add, mul

from whoosh import matching, scoring
from whoosh.matching.wrappers import FilterMatcher, RequireMatcher

from kb.search.postings import KeptLeaf
from kb.search.unions import ArrayScores, Tree, TreeScores, _plain_term

# a word's field: (document numbers, scores, deleted documents, factors the scores take)
Field = tuple[Sequence[int], Sequence[float], AbstractSet[int], tuple[float, ...]]
WORDS = (ArrayScores, TreeScores)


def common_scores(
    root: matching.Matcher, check: Callable[[], object]
) -> tuple[list[int], list[float]] | None:
    """(the documents every word and term under root matches from root's current one on,
    in increasing order, their scores as root.score() gives them), or None when a leaf is
    not a word or term whose fields are all plain kept terms, or a word's score is not
    over 0. check() is called between words (the work budget)."""
    if not root.is_active():
        return [], []
    leaves: list[matching.Matcher] = []
    filters: set[int] = set()  # leaves that only filter (RequireMatcher's b): no score
    tree = _shape(root, leaves, filters, filtering=False)
    fields = [
        _filter_fields(leaf) if n in filters else _fields(leaf) for n, leaf in enumerate(leaves)
    ]
    if None in fields:
        return None
    order = sorted(range(len(leaves)), key=lambda w: sum(len(f[0]) for f in fields[w]))
    hits: list[list[dict[int, float]]] = [[] for _ in leaves]
    within: set[int] | None = None
    for w in order:
        check()
        hits[w] = [_hits(field, within) for field in fields[w]]
        within = set().union(*hits[w])
        if not within:
            return [], []
    common = sorted(within)
    common = common[bisect_left(common, root.id()) :]
    if not common:
        return [], []
    totals = []
    for n, (leaf, leaf_fields, leaf_hits) in enumerate(zip(leaves, fields, hits, strict=True)):
        check()
        if n in filters:
            totals.append([0.0] * len(common))  # RequireMatcher scores a alone: a + 0.0 == a
            continue
        total = _total(leaf, leaf_fields, leaf_hits, common)
        # a word's documents are those scoring over 0 (a term's: its postings)
        if type(leaf) in WORDS and not (min(total) > 0 and sum(total) == sum(total)):
            return None  # (NaN is no sum of itself)
        totals.append(total)
    return common, tree_sum(tree, totals)


def tree_sum(tree: Tree, scores: list[list[float]]) -> list[float]:
    """IntersectionMatcher.score() (or UnionMatcher's, every side holding every document)
    of every document at once: left + right, down the tree (the same additions in the same
    order)."""
    if type(tree) is int:
        return scores[tree]
    return list(map(add, tree_sum(tree[0], scores), tree_sum(tree[1], scores)))


def _shape(
    m: matching.Matcher, leaves: list[matching.Matcher], filters: set[int], *, filtering: bool
) -> Tree:
    """The tree of IntersectionMatchers and RequireMatchers (a filter's documents added to
    a's scores as 0.0) above m, its other matchers appended to leaves, the numbers of
    those under a filter in filters."""
    if type(m) is matching.IntersectionMatcher:
        return (
            _shape(m.a, leaves, filters, filtering=filtering),
            _shape(m.b, leaves, filters, filtering=filtering),
        )
    if isinstance(m, RequireMatcher):
        return (
            _shape(m.a, leaves, filters, filtering=filtering),
            _shape(m.b, leaves, filters, filtering=True),
        )
    if filtering:
        filters.add(len(leaves))
    leaves.append(m)
    return len(leaves) - 1


def _filter_fields(m: matching.Matcher) -> list[Field] | None:
    """A filter's terms (unscored: their documents alone count), a term or an Or of terms,
    else None; the scores stand in for nothing read."""
    if type(m) is matching.UnionMatcher:
        a, b = _filter_fields(m.a), _filter_fields(m.b)
        return None if a is None or b is None else a + b
    if type(m) is matching.ArrayUnionMatcher:
        subs = [_filter_fields(sub) for sub in m._submatchers]
        return None if None in subs else [field for sub in subs for field in sub]
    leaf, deleted = (m.child, m) if type(m) is FilterMatcher and m._exclude else (m, None)
    excluded = deleted._ids if deleted is not None else frozenset()
    if type(leaf) is KeptLeaf:
        return [(leaf._kept.ids, leaf._kept.ids, excluded, ())]
    if type(m) is matching.NullMatcherClass:
        return []
    return None


def _fields(word: matching.Matcher) -> list[Field] | None:
    """The fields of a scored word whose boosts are over 0 (so every score is), each a plain
    kept term, or a term as one field, else None."""
    if type(word) not in WORDS:
        field = _field(word, 1.0)  # (a term's score is its own: times 1.0 changes nothing)
        return None if field is None else [field]
    if not word._scored or not word._boost > 0:
        return None
    if type(word) is TreeScores and not word._or_boost > 0:
        return None
    fields = []
    for m in word._submatchers:
        field = _field(m, word._boost)
        if field is None:
            return None
        fields.append(field)
    return fields


def _field(m: matching.Matcher, boost: float) -> Field | None:
    """A word's field as ArrayScores adds it up: a kept term's cached scores (times the
    deleted-documents filter's boost, then the word's: _add_kept; a weight, for a field
    without lengths, as _add gets it from WeightScorer), nothing for a term the segment
    lacks."""
    leaf, deleted = (m.child, m) if type(m) is FilterMatcher and m._exclude else (m, None)
    if type(leaf) is KeptLeaf:
        if type(leaf.scorer) is scoring.WeightScorer:
            scores = leaf._kept.weights  # its score() is the posting's weight
        elif _plain_term(m) is not None:
            scores = leaf.bm25()
        else:
            return None
        if deleted is None:
            return leaf._kept.ids, scores, frozenset(), (boost,)
        if not deleted.boost > 0:
            return None
        return leaf._kept.ids, scores, deleted._ids, (deleted.boost, boost)
    if type(m) is matching.NullMatcherClass:  # the term is not in this segment
        return [], [], frozenset(), ()
    return None


def _hits(field: Field, within: set[int] | None) -> dict[int, float]:
    """document -> unscaled score of the field's postings (only those `within`, when given),
    deleted documents left out."""
    ids, scores, deleted, _ = field
    if within is None:
        found = dict(zip(ids, scores, strict=True))
    else:
        mask = list(map(within.__contains__, ids))
        found = dict(zip(compress(ids, mask), compress(scores, mask), strict=True))
    for docnum in list(filter(found.__contains__, deleted)):
        del found[docnum]
    return found


def _total(
    word: matching.Matcher, fields: list[Field], hits: list[dict[int, float]], common: list[int]
) -> list[float]:
    """The word's score of each common document as ArrayScores (or TreeScores) adds it up,
    or the term's."""
    columns: list[list[float] | None] = []
    for (_, _, _, factors), found in zip(fields, hits, strict=True):
        if not found:
            columns.append(None)  # no document of the word's: the dense loop adds nothing
            continue
        column = list(map(found.get, common, repeat(0.0)))
        for factor in factors:
            if factor != 1.0:  # x * 1.0 == x
                column = list(map(mul, column, repeat(factor)))
        columns.append(column)
    if type(word) is not TreeScores:
        filled = [column for column in columns if column is not None]
        total = filled[0]
        for column in filled[1:]:
            total = list(map(add, total, column))
        return total
    total = _fields_sum(word._tree, columns)
    if word._or_boost != 1.0:
        total = list(map(mul, total, repeat(word._or_boost)))
    return total


def _fields_sum(tree: Tree, columns: list[list[float] | None]) -> list[float] | None:
    """unions._tree_sum over columns: left + right where both sides have documents, else
    the side that has some (None: neither)."""
    if type(tree) is int:
        return columns[tree]
    left, right = _fields_sum(tree[0], columns), _fields_sum(tree[1], columns)
    if left is None or right is None:
        return right if left is None else left
    return list(map(add, left, right))
