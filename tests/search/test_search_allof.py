"""Words that must all be there, scored only where they all are (kb.search.allof), keep
Whoosh's own matches, scores (to the last bit), top hits and totals."""

from __future__ import annotations

import random

import pytest
from whoosh import query
from whoosh.query.compound import DefaultOr

from kb.search import SearchIndex, allof, unions
from kb.search.querylang import build_filter, parse
from tests.search.conftest import top_of_all

WORDS = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "theta"]
HIDDEN = (frozenset(), frozenset({0, 4, 5, 44, 100, 101}))


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _generated(tmp_path, doc_factory) -> SearchIndex:  # noqa: ANN001
    """Four segments of documents spreading the words over title, summary, body, tags and
    topics at random, some replaced (deleted in their first segment), one word ("zircon")
    in one document only, one ("quartz") in one segment only."""
    rng = random.Random(14)
    index = SearchIndex(tmp_path / "ix")

    def doc(n: int, extra: str = "") -> object:
        return doc_factory(
            id=f"LL-2025-{n:04}",
            title=_text(rng, rng.randint(1, 4)),
            summary=_text(rng, rng.randint(0, 6)),
            body=f"{_text(rng, rng.randint(3, 40))} {extra}",
            tags=rng.sample(WORDS, rng.randint(0, 2)),
            topics=rng.sample(WORDS, rng.randint(0, 2)),
        )

    index.rebuild([doc(n) for n in range(40)], last_seq=1)
    index.apply([doc(n, "quartz" if n % 3 else "") for n in range(40, 80)], [], last_seq=2)
    index.apply([doc(n, "zircon" if n == 85 else "") for n in range(80, 120)], [], last_seq=3)
    index.apply([doc(n) for n in (1, 2, 3, 41, 57, 90, 119)], [], last_seq=4)
    return index


def _spy(monkeypatch) -> list:  # noqa: ANN001
    """What allof.common_scores answers, call by call."""
    answers, common_scores = [], allof.common_scores
    monkeypatch.setattr(
        allof, "common_scores", lambda *a: answers.append(common_scores(*a)) or answers[-1]
    )
    return answers


@pytest.mark.parametrize("shape", ["array", "tree"])
def test_all_of_finds_and_scores_as_whoosh(tmp_path, doc_factory, monkeypatch, shape):
    """Over several segments with deleted documents, the common documents scored alone give
    Whoosh's own scores, top hits (ties: the lower document first) and matches, hidden
    documents left out; with a field missing from a segment, a one-posting word, a boost
    and fielded terms, the fields added in an array or along a tree (TreeScores, here
    forced)."""
    if shape == "tree":
        monkeypatch.setattr(unions.FieldsOr, "_preloads", lambda *args: False)
    whoosh_or = DefaultOr if shape == "tree" else query.Or
    index = _generated(tmp_path, doc_factory)
    searcher = index._searcher()
    readers = [reader for reader, _ in searcher.reader().leaf_readers()]
    assert len(readers) > 2 and any(reader.has_deletions() for reader in readers)
    sparse = _spy(monkeypatch)

    def whoosh_own(node: query.Query) -> query.Query:
        if type(node) is unions.FieldsOr:
            return whoosh_or(node.subqueries, boost=node.boost)
        return node

    def theirs(q: query.Query, hidden: frozenset[int]) -> tuple:
        found = {h.docnum: h.score for h in searcher.search(q, limit=None)}
        shown = sorted((-score, d) for d, score in found.items() if d not in hidden)
        return [(d, -score) for score, d in shown], sorted(set(found) - hidden)

    texts = (
        "alpha beta",
        "alpha beta gamma delta",
        "omega sigma kappa theta alpha",
        "sigma beta^2.5",  # a boost (on the Or) as a query may carry one
        "quartz alpha",
        "zircon alpha",
        "beta quartz gamma",
        "title:alpha beta",  # a term scored by BM25F
        "status:published tags:alpha gamma",  # terms scored by their weight
    )
    for text in texts:
        q = parse(index._parser, text.removesuffix("^2.5"))
        if text.endswith("^2.5"):
            q.subqueries[1].boost = 2.5
        expected = {hidden: theirs(q.accept(whoosh_own), hidden) for hidden in HIDDEN}
        assert expected[frozenset()][1], text
        for hidden in HIDDEN:
            for limit in (1, 7, 200):
                want = (expected[hidden][0][:limit], expected[hidden][1])
                assert top_of_all(searcher, q, hidden, limit) == want, (text, hidden, limit)
    assert sparse and None not in sparse  # every segment went the sparse way
    assert any(len(found[0]) > 1 for found in sparse)


def test_all_of_under_facet_filters_finds_and_scores_as_whoosh(tmp_path, doc_factory, monkeypatch):
    """Facet filters (a _RequireMatcher over the words: a term, an Or of terms, an And of
    them) keep Whoosh's own filtered matches and scores (the query's alone), the documents
    found and scored from the kept postings too."""
    index = _generated(tmp_path, doc_factory)
    searcher = index._searcher()
    sparse = _spy(monkeypatch)
    filters = (
        {"status": ["published"]},
        {"topic": ["alpha", "beta", "nowhere"]},
        {"tag": ["gamma"], "topic": ["delta", "omega"]},
    )
    totals = []
    for text in ("alpha", "alpha beta", "title:gamma delta", "zircon alpha"):
        q = parse(index._parser, text)
        theirs = q.accept(lambda n: query.Or(n.subqueries) if type(n) is unions.FieldsOr else n)
        for facets in filters:
            filter_q = build_filter(facets)
            found = {
                h.docnum: h.score for h in searcher.search(theirs, filter=filter_q, limit=None)
            }
            want = sorted((-score, d) for d, score in found.items())
            totals.append(len(found))
            top = top_of_all(searcher, q, frozenset(), 9, filter_q)
            assert top == ([(d, -score) for score, d in want[:9]], sorted(found)), (text, facets)
    assert all(totals[:8]) and max(totals) > 9  # (each filter leaves some, one a page)
    assert sparse and None not in sparse


def test_dense_way_when_a_field_is_not_a_plain_term(tmp_path, doc_factory, monkeypatch):
    """A quoted phrase (not one kept term a field) leaves the whole intersection to the
    dense loop, with the same answers as Whoosh."""
    index = _generated(tmp_path, doc_factory)
    searcher = index._searcher()
    sparse = _spy(monkeypatch)
    q = parse(index._parser, '"alpha beta" gamma')
    top, matched = top_of_all(searcher, q, frozenset(), 500)
    found = {h.docnum: h.score for h in searcher.search(q, limit=None)}
    assert found and dict(top) == found
    assert matched == sorted(found)
    assert sparse and set(sparse) == {None}
