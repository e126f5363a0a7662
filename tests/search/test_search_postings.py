"""Postings kept in memory (kb.search.postings) read exactly as Whoosh reads them from disk."""

from __future__ import annotations

from whoosh import scoring
from whoosh.codec.whoosh3 import W3LeafMatcher

from kb.search import SearchIndex, lengths, postings, related
from tests.search.test_search_scoring import whoosh_scores


def several_segments(tmp_path, corpus, doc_factory) -> SearchIndex:  # noqa: ANN001
    index = SearchIndex(tmp_path / "ix")
    index.rebuild(corpus[:20], last_seq=1)
    index.apply(corpus[20:], [], last_seq=2)
    changed = [doc_factory(id=d.id, title=d.title, body="risk vendor " * 30) for d in corpus[:3]]
    index.apply(changed, [], last_seq=3)  # the first segment keeps deleted documents
    return index


def postings_of(m) -> list[tuple]:  # noqa: ANN001
    found = []
    while m.is_active():
        found.append((m.id(), m.weight(), m.value(), m.score()))
        m.next()
    return found


def test_kept_postings_read_as_whoosh_reads_the_file(tmp_path, corpus, doc_factory):
    """Every term of every segment: the same documents, weights, values and scores (to the
    last bit), the same skips, and block bounds that still bound every posting."""
    index = several_segments(tmp_path, corpus, doc_factory)
    searcher = index._searcher()  # its readers go through the cache
    assert any(reader.has_deletions() for reader, _ in searcher.reader().leaf_readers())
    with index._ix.searcher() as plain:
        kept_leaves = 0
        for (sub, _), (theirs_sub, _) in zip(
            searcher.leaf_searchers(), plain.leaf_searchers(), strict=True
        ):
            reader, theirs_reader = sub.reader(), theirs_sub.reader()
            for fieldname, text in theirs_reader.all_terms():
                scorer = scoring.BM25F().scorer(theirs_sub, fieldname, text)
                theirs = theirs_reader.postings(fieldname, text, scorer=scorer)
                ours = reader.postings(fieldname, text, scorer=scorer)
                if type(theirs) is not W3LeafMatcher:
                    continue  # inlined postings: Whoosh's ListMatcher, kept as it is
                kept_leaves += 1
                assert type(ours) is postings.KeptLeaf
                assert postings_of(ours) == postings_of(theirs), (fieldname, text)
                ours.reset()
                theirs = theirs_reader.postings(fieldname, text, scorer=scorer)
                assert ours.max_quality() == theirs.max_quality()
                bound = ours.block_quality()
                for target in range(0, reader.doc_count_all() + 2, 3):
                    if not theirs.is_active():
                        break
                    theirs.skip_to(target)
                    ours.skip_to(target)
                    assert ours.is_active() == theirs.is_active(), (fieldname, text, target)
                    if theirs.is_active():
                        assert ours.id() == theirs.id() and ours.score() <= bound
        assert kept_leaves > 20


def test_searches_through_kept_postings_score_as_whoosh(tmp_path, corpus, doc_factory):
    """The same scores the first time (postings decoded), the second (kept postings, kept
    scores and positions), and after a new document changed every word's statistics (the
    segments' kept postings reused, their scores not)."""
    index = several_segments(tmp_path, corpus, doc_factory)
    texts = ("vendor", "risk vendor", '"critical path"', '"risk vendor" invoice', "title:late")
    texts += ('"user acceptance testing"', '"the critical path" OR escrow')
    for step in range(3):
        if step == 2:
            extra = doc_factory(id="LL-2025-0100", title="Vendor risk", body="critical path " * 9)
            index.apply([extra], [], last_seq=4)
        for text in texts:
            expected = whoosh_scores(index, text)
            got = {hit.id: hit.score for hit in index.query(text, per_page=100).hits}
            assert expected and got == expected, (step, text)
            index.forget_answers()
    kept = index._postings._kept.values()
    assert any(k.positions for k in kept) and any(len(k.scores) == 2 for k in kept)


def test_kept_postings_follow_the_segments_and_stay_within_budget(tmp_path, corpus, doc_factory):
    index = several_segments(tmp_path, corpus, doc_factory)
    index.query("vendor risk")
    before = set(index._postings._kept)
    index.rebuild(corpus[:10], last_seq=4)  # every segment replaced
    assert index.query("vendor").total == whoosh_scores(index, "vendor").__len__()
    after = set(index._postings._kept)
    assert before and after and not before & after
    small = postings.PostingCache(budget=100, share=0)
    index._postings = small
    index.apply([doc_factory(id="LL-2025-0100", body="risk " * 40)], [], last_seq=5)
    for text in ("vendor", "risk", "invoice", "plan", '"critical path"'):
        assert {h.id: h.score for h in index.query(text, per_page=100).hits} == whoosh_scores(
            index, text
        )
    assert small._size <= 100 or len(small._kept) == 1


def test_the_budget_grows_with_the_index(tmp_path, corpus, doc_factory):
    """At least the floor, and a share of the bytes of the segments the searcher reads: the
    common words' lists, which cost the most to decode, grow with the index."""
    index = several_segments(tmp_path, corpus, doc_factory)
    searcher = index._searcher()
    folder = index._ix.storage
    files = {seg.make_filename(".seg") for seg in index._ix._segments()}
    size = sum(folder.file_length(name) for name in files)
    assert size > 10_000  # compound segment files, each counted once
    floor = postings.PostingCache(budget=10 * size, share=0.5)
    floor.follow(searcher, folder)
    assert floor.budget == 10 * size
    cache = postings.PostingCache(budget=1000, share=0.5)
    cache.follow(searcher, folder)  # the searcher's readers now read through it
    assert cache.budget == size // 2
    for text in ("vendor", "risk"):  # kept within the new budget, read as before
        assert {h.id: h.score for h in index.query(text, per_page=100).hits} == whoosh_scores(
            index, text
        )
        index.forget_answers()
    assert 0 < cache._size <= cache.budget


def test_phrases_read_from_the_file_score_as_whoosh(tmp_path, corpus, doc_factory, monkeypatch):
    """Without kept postings (a searcher the cache does not follow), a phrase spread over the
    fields is matched from the file's blocks, with Whoosh's scores too."""
    from kb.search import lengths, phrases
    from kb.search.querylang import parse

    index = several_segments(tmp_path, corpus, doc_factory)
    ran, read_phrase = [], phrases._read_phrase
    monkeypatch.setattr(phrases, "_read_phrase", lambda *a: ran.append(1) or read_phrase(*a))
    with index._ix.searcher(weighting=lengths.BM25F(lengths.LengthCache())) as searcher:
        for text in ('"critical path"', '"user acceptance testing"', '"risk vendor" invoice'):
            got = {
                searcher.stored_fields(h.docnum)["id"]: h.score
                for h in searcher.search(parse(index._parser, text), limit=None)
            }
            assert got and got == whoosh_scores(index, text), text
    assert ran


def test_related_through_kept_postings_as_from_the_file(tmp_path, corpus, doc_factory):
    """Every document's relatives (ids and scores to the last bit), also with documents
    hidden: read block by block from the file (a searcher the cache does not follow), with
    the postings decoded then (an empty cache), and from kept postings and scores. Common
    words in many documents make long lists looked up for a few hopeful documents."""
    index = several_segments(tmp_path, corpus, doc_factory)
    common = [
        doc_factory(id=f"LL-2030-{i:04d}", title=f"Filler {i}", body=corpus[i % 9].title)
        for i in range(300)
    ]
    index.apply(common, [], last_seq=4)
    weighting = lengths.BM25F(lengths.LengthCache())
    found = 0
    with (
        index._ix.searcher(weighting=weighting) as plain,
        index._ix.searcher(weighting=weighting) as kept,
    ):
        warm = postings.PostingCache()
        hidden_sets = (frozenset(), frozenset(range(0, plain.doc_count_all(), 3)))

        def relatives(searcher, doc_id: str, hidden: frozenset) -> list[tuple[str, float]]:  # noqa: ANN001
            hits = related.related_hits(searcher, doc_id, 4, hidden)
            return [(hit.id, hit.score) for hit in hits]

        for step in ("cold", "warm"):
            for doc in corpus:
                for hidden in hidden_sets:
                    (postings.PostingCache() if step == "cold" else warm).follow(kept)
                    expected = relatives(plain, doc.id, hidden)
                    assert relatives(kept, doc.id, hidden) == expected, (step, doc.id)
                    found += len(expected)
        assert any(k.scores for k in warm._kept.values())  # scores were read as kept
        # one term's postings: all of them, a few documents of a long list, many
        total = plain.doc_count_all()
        for word in ("filler", "vendor", "risk"):
            for fieldname in ("title", "body"):
                for clause in related._clauses(plain, [(fieldname, word, 2.0)]):
                    for only in (None, [1, 40, 170, total - 5], list(range(0, total, 2))):
                        expected = list(related._postings(plain, clause, only))
                        assert list(related._postings(kept, clause, only)) == expected
                        found += len(expected)
    assert found > 4 * len(corpus)
