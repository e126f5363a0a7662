"""Scores come out as Whoosh's own BM25F computes them, whatever kb keeps in memory."""

from __future__ import annotations

import pytest
from whoosh import scoring

from kb.search import SearchIndex
from kb.search.querylang import parse
from tests.search.conftest import top_of_all

QUERIES = ("vendor invoice", "risk", '"critical path"', "escrow OR supplier", "title:late")


def whoosh_scores(index: SearchIndex, text: str) -> dict[str, float]:
    """id -> score by Whoosh's default BM25F, reading lengths from the files itself."""
    with index._ix.searcher(weighting=scoring.BM25F()) as searcher:
        results = searcher.search(parse(index._parser, text), limit=None)
        return {hit["id"]: hit.score for hit in results}


def assert_same_search(searcher, ours, theirs, text: str) -> None:  # noqa: ANN001
    """ours finds what theirs finds, with the same scores to the last bit, scored or not,
    and in the same order by date."""
    expected = {h.docnum: h.score for h in searcher.search(theirs, limit=None)}
    got = {h.docnum: h.score for h in searcher.search(ours, limit=None)}
    assert expected and got == expected, text
    assert set(searcher.docs_for_query(ours)) == set(searcher.docs_for_query(theirs))
    dated = [h.docnum for h in searcher.search(ours, limit=None, sortedby="date")]
    assert dated == [h.docnum for h in searcher.search(theirs, limit=None, sortedby="date")]


def test_scores_equal_whoosh_bm25f_over_several_segments(tmp_path, corpus, doc_factory):
    index = SearchIndex(tmp_path / "ix")
    index.rebuild(corpus[:20], last_seq=1)
    index.apply(corpus[20:], [], last_seq=2)  # a second segment
    index.apply([doc_factory(id="LL-2025-0100", title="Vendor risk", body="risk " * 40)], [], 3)
    assert len(index._searcher().reader().segments()) > 1
    for text in QUERIES:
        expected = whoosh_scores(index, text)
        got = {hit.id: hit.score for hit in index.query(text, per_page=100).hits}
        assert expected and got == expected, text


def test_lengths_of_retired_segments_are_dropped(tmp_path, corpus):
    index = SearchIndex(tmp_path / "ix")
    index.rebuild(corpus[:20], last_seq=1)
    index.query("vendor")
    before = set(index._lengths._lists)
    assert before  # the query read lengths
    index.rebuild(corpus, last_seq=2)  # every segment replaced
    index.query("vendor")
    after = set(index._lengths._lists)
    assert after and not before & after


def test_adjacent_phrase_matches_and_scores_as_whoosh_phrase(tmp_path, corpus, doc_factory):
    from whoosh import query

    from kb.search.phrases import AdjacentPhrase

    index = SearchIndex(tmp_path / "ix")
    extra = [
        doc_factory(id="LL-2025-0101", body="plan the plan plan plan then plan again"),
        doc_factory(id="LL-2025-0102", body="path critical, critical path; critical of path"),
        doc_factory(id="LL-2025-0103", body="user acceptance and testing; user acceptance testing"),
    ]
    index.rebuild(corpus + extra, last_seq=1)
    phrases = [
        ["critic", "path"],
        ["plan", "plan"],
        ["plan", "plan", "plan"],
        ["user", "accept", "test"],
        ["escrow", "agreement"],
        ["path", "critic"],
    ]
    with index._ix.searcher() as searcher:
        for words in phrases:
            for slop in (1, 3):
                whoosh = query.Phrase("body", words, slop=slop)
                ours = AdjacentPhrase("body", words, slop=slop)
                expected = {h.docnum: h.score for h in searcher.search(whoosh, limit=None)}
                got = {h.docnum: h.score for h in searcher.search(ours, limit=None)}
                assert got == expected, (words, slop)
                matcher = ours.matcher(searcher, searcher.boolean_context())
                while matcher.is_active():  # the spans too, for span queries built on them
                    theirs = whoosh.matcher(searcher, searcher.boolean_context())
                    theirs.skip_to(matcher.id())
                    assert matcher.spans() == theirs.spans(), (words, slop)
                    matcher.next()
    assert index.query('"critical path"').total >= 2


def test_fields_or_matches_and_scores_as_whoosh_or(tmp_path, corpus, doc_factory):
    """A word spread over the fields (FieldsOr, its plain terms scored a block at a time)
    finds the documents Whoosh's own Or finds with the same scores to the last bit, scored
    or not, in order by date too, over several segments, one with deleted documents."""
    from whoosh import query

    from kb.search import unions

    index = SearchIndex(tmp_path / "ix")
    index.rebuild(corpus[:20], last_seq=1)
    index.apply(corpus[20:], [], last_seq=2)
    changed = [doc_factory(id=d.id, title=d.title, body="risk vendor " * 30) for d in corpus[:3]]
    index.apply(changed, [], last_seq=3)  # the first segment keeps deleted documents
    searcher = index._searcher()
    assert any(reader.has_deletions() for reader, _ in searcher.reader().leaf_readers())

    def nodes(q: query.Query) -> list[query.Query]:
        found: list[query.Query] = []
        q.accept(lambda node: found.append(node) or node)
        return found

    def whoosh_own(node: query.Query) -> query.Query:
        if type(node) is unions.FieldsOr:
            return query.Or(node.subqueries, boost=node.boost)
        return node

    ran, plain_term = [], unions._plain_term
    unions._plain_term = lambda m: ran.append(plain_term(m)) or ran[-1]
    try:
        for text in (
            "vendor",
            "risk vendor",
            "plan* workshop",
            "escrow OR supplier",
            "title:vendor invoice",
        ):
            ours = parse(index._parser, text)
            assert unions.FieldsOr in {type(node) for node in nodes(ours)}, text
            theirs = ours.accept(whoosh_own)
            assert unions.FieldsOr not in {type(node) for node in nodes(theirs)}
            assert_same_search(searcher, ours, theirs, text)
    finally:
        unions._plain_term = plain_term
    assert any(ran) and None in ran  # the block loop ran, and Whoosh's (for plan*)


@pytest.mark.parametrize("shape", ["array", "tree"])
def test_top_of_all_reads_fields_or_scores_as_whoosh_matches_them(
    tmp_path, corpus, doc_factory, monkeypatch, shape
):
    """TopOfAll reading a FieldsOr's score arrays (ArrayScores, or TreeScores where Whoosh
    would build a tree of UnionMatchers) keeps the top hits, scores, total and matched
    documents that its generic loop keeps for Whoosh's Or, hidden documents left out,
    across parts of a few documents (the first of a part included as Whoosh takes it)."""
    from whoosh import query
    from whoosh.query.compound import DefaultOr

    from kb.search import collect, unions

    monkeypatch.setattr(unions.FieldsOr, "PART", 3)
    if shape == "tree":
        monkeypatch.setattr(unions.FieldsOr, "_preloads", lambda *args: False)
    whoosh_or = DefaultOr if shape == "tree" else query.Or
    index = SearchIndex(tmp_path / "ix")
    index.rebuild(corpus[:20], last_seq=1)
    index.apply(corpus[20:], [], last_seq=2)
    searcher = index._searcher()
    fast = []
    for name in ("_collect_scores", "_all_of"):
        original = getattr(collect.TopOfAll, name)

        def spy(self, *args, original=original, name=name):  # noqa: ANN001, ANN002, ANN202
            fast.append(name)
            return original(self, *args)

        monkeypatch.setattr(collect.TopOfAll, name, spy)

    def run(q: query.Query, hidden: frozenset[int], limit: int) -> tuple:
        return top_of_all(searcher, q, hidden, limit)

    # single words: their kept postings at once (allof); plan*: a part at a time
    words = ("vendor", "risk", "the plan", "supplier", "risk vendor", "plan risk vendor", "plan*")
    for text in words:
        ours = parse(index._parser, text)
        theirs = ours.accept(lambda n: whoosh_or(n.subqueries) if type(n) is unions.FieldsOr else n)
        for hidden in (frozenset(), frozenset({0, 1, 5, 21})):
            for limit in (1, 3, 100):
                assert run(ours, hidden, limit) == run(theirs, hidden, limit), text
    assert set(fast) == {"_collect_scores", "_all_of"}


@pytest.mark.parametrize(("shape", "part"), [("array", 5), ("tree", 5), ("tree", 64)])
def test_fields_or_with_phrases_matches_and_scores_as_whoosh(
    tmp_path, corpus, doc_factory, monkeypatch, shape, part
):
    """Where Whoosh would add a word's fields up in an array (ArrayScores) or along a tree of
    UnionMatchers (TreeScores: segments of over 5,000 documents, here forced), kb's matcher
    finds the documents, scores (to the last bit) and date order of Whoosh's own Or, with
    quoted phrases matched a part at a time (phrases.add_scores) against Whoosh's Phrase,
    over parts of 5 documents (or 64, each side of the tree whose documents are known then
    added up document by document), several segments and deleted documents."""
    from whoosh import query
    from whoosh.query.compound import DefaultOr

    from kb.search import phrases, unions
    from kb.search.phrases import AdjacentPhrase

    monkeypatch.setattr(unions.FieldsOr, "PART", part)
    if part > 5:
        monkeypatch.setattr(unions, "FEW", 1.0)
    if shape == "tree":
        monkeypatch.setattr(unions.FieldsOr, "_preloads", lambda *args: False)
    index = SearchIndex(tmp_path / "ix")
    index.rebuild(corpus[:20], last_seq=1)
    index.apply(corpus[20:], [], last_seq=2)
    extra = [
        doc_factory(id="LL-2025-0101", title="Critical path", body="plan the plan plan plan"),
        doc_factory(id="LL-2025-0102", body="path critical, critical path; critical of path"),
        doc_factory(id="LL-2025-0103", body="user acceptance and testing; user acceptance testing"),
        doc_factory(id="LL-2025-0104", title="Vendor critical path", body="critical path " * 9),
        doc_factory(id="LL-2025-0105", body="vendor " * 30 + "critical path vendor"),
    ] + [doc_factory(id=f"LL-2025-02{n:02}", body="the path is critical") for n in range(12)]
    index.apply(extra, [], last_seq=3)
    changed = [doc_factory(id=d.id, title=d.title, body="critical path vendor") for d in corpus[:3]]
    index.apply(changed, [], last_seq=4)  # earlier segments keep deleted documents
    searcher = index._searcher()
    assert any(reader.has_deletions() for reader, _ in searcher.reader().leaf_readers())
    whoosh_or = DefaultOr if shape == "tree" else query.Or

    def whoosh_own(node: query.Query) -> query.Query:
        if type(node) is unions.FieldsOr:
            return whoosh_or(node.subqueries, boost=node.boost)
        if type(node) is AdjacentPhrase:
            return query.Phrase(node.fieldname, node.words, node.slop, node.boost)
        return node

    blocks, add_scores = [], phrases.add_scores
    monkeypatch.setattr(phrases, "add_scores", lambda *a: blocks.append(1) or add_scores(*a))
    kind = unions.TreeScores if shape == "tree" else unions.ArrayScores
    for text in (
        "vendor",
        '"critical path"',
        '"user acceptance testing"',
        '"plan plan"',
        '"critical path" vendor',
        '"vendor critical"',  # the later word with fewer positions in a part
        "escrow OR supplier",
        "plan* workshop",
    ):
        ours = parse(index._parser, text)
        theirs = ours.accept(whoosh_own)
        assert_same_search(searcher, ours, theirs, text)
        if type(ours) is unions.FieldsOr:
            for sub, _ in searcher.leaf_searchers():
                assert type(ours.matcher(sub, sub.context())) is kind, text
    assert blocks  # phrases were matched a part at a time


@pytest.mark.parametrize("limit", [1, 3, 20])
def test_offered_matches_keep_the_best_as_top_collector_does(limit):
    """collect._offer, which leaves out at once the scores below `limit` others of a batch
    (collect._floor), keeps the same best documents as taking every match in turn: the
    highest scores, the lower document number first among equal ones; every visible match
    kept, hidden ones left out. Scores from a few values, so many are equal."""
    import random
    from heapq import heappush, heapreplace

    from kb.search import collect

    rng = random.Random(limit)
    docs = sorted(rng.sample(range(5000), 3000))
    scores = [rng.choice([0.5, 1.0, 1.5, 2.0, 2.5]) * rng.choice([1, 1, 1, 1.25]) for _ in docs]
    hidden = frozenset(rng.sample(docs, 40))
    top = collect.TopOfAll(limit)
    top.items = []
    matched: list[int] = []
    for start, end in ((0, 5), (5, 400), (400, 410), (410, 3000)):  # batches of any size
        collect._offer(top, docs[start:end], scores[start:end], hidden, matched)
    one_by_one: list[tuple[float, int]] = []
    for docnum, score in zip(docs, scores, strict=True):
        if docnum in hidden:
            continue
        if len(one_by_one) < limit:
            heappush(one_by_one, (score, 0 - docnum))
        elif score > one_by_one[0][0]:
            heapreplace(one_by_one, (score, 0 - docnum))
    assert sorted(top.items) == sorted(one_by_one)
    assert matched == [d for d in docs if d not in hidden]


def test_kept_phrases_found_each_way_score_as_whoosh(tmp_path, corpus, doc_factory, monkeypatch):
    """A phrase over kept postings is found one of three ways per part of a segment (its
    words only ever together; every place of one word in the phrase; neither): each finds
    the documents and scores (to the last bit) of Whoosh's own Phrase, deleted documents
    left out."""
    from whoosh import query

    from kb.search import phrases, unions
    from kb.search.phrases import AdjacentPhrase

    monkeypatch.setattr(unions.FieldsOr, "PART", 4)
    ways = set()  # the ways taken: all together, a word wholly in the phrase (which), neither
    follow, adjacent = phrases._follow, phrases._adjacent

    def followed(spans: list) -> bool:
        ways.add("together" if follow(spans) else "apart")
        return follow(spans)

    def adjacent_places(spans: list) -> tuple:
        whole, places = adjacent(spans)
        ways.add(("whole", whole))
        return whole, places

    monkeypatch.setattr(phrases, "_follow", followed)
    monkeypatch.setattr(phrases, "_adjacent", adjacent_places)
    index = SearchIndex(tmp_path / "ix")
    index.rebuild(corpus[:10], last_seq=1)
    extra = [
        doc_factory(id=f"LL-2025-01{n:02}", title="Root cause", body=body)
        for n, body in enumerate(
            ["root cause of the root cause"] * 4
            + ["a test, the test environment and a test", "test environment"] * 3
            + ["change the request", "change request: request a change", "root cause"] * 3
            + ["cause and effect, root cause"] * 4
            + ["quokka wombat numbat; quokka wombat numbat"] * 4
        )
    ]
    index.apply(extra, [], last_seq=2)
    index.apply(extra[::5], [], last_seq=3)  # the earlier segment keeps deleted documents
    searcher = index._searcher()
    texts = ['"root cause"', '"test environment"', '"change request"', '"quokka wombat numbat"']
    for text in texts:
        ours = parse(index._parser, text)
        theirs = ours.accept(
            lambda n: query.Phrase(n.fieldname, n.words) if type(n) is AdjacentPhrase else n
        )
        assert_same_search(searcher, ours, theirs, text)
    assert {"together", ("whole", 0), ("whole", 1), ("whole", None)} <= ways, ways
