"""Filters, facet counts, pagination and sorting, checked against the fixture list itself."""

from __future__ import annotations

import re

import pytest

from kb.search import IndexDoc, QueryError, SearchIndex
from tests.search.visibility.readers import expected_facets


def matching(docs, **wanted: list[str]) -> list[IndexDoc]:
    def ok(doc: IndexDoc) -> bool:
        for key, values in wanted.items():
            have = {
                "type": [doc.type],
                "project": [doc.project],
                "phase": [doc.phase],
                "topic": doc.topics,
                "tag": doc.tags,
                "polarity": [doc.polarity],
                "status": [doc.status],
            }[key]
            if not set(have) & set(values):
                return False
        return True

    return [d for d in docs if ok(d)]


def test_browse_everything_counts_every_facet(built_index: SearchIndex, corpus):
    results = built_index.query("", per_page=5)
    assert results.total == len(corpus)
    assert results.facets == expected_facets(corpus)
    assert len(results.facets["tag"]) == 20  # more than 20 tags exist; the top 20 are kept


@pytest.mark.parametrize(
    "filters",
    [
        {"project": ["P3"]},
        {"phase": ["build", "testing"]},  # OR within a key
        {"phase": ["build", "testing"], "project": ["P3", "P7"]},  # AND across keys
        {"topic": ["change management"]},
        {"tag": ["vendor"], "polarity": ["problem"]},
        {"type": ["process", "guide"]},
        {"status": ["published"], "topic": ["risk"]},
    ],
)
def test_filters_and_facets_match_the_fixture(built_index: SearchIndex, corpus, filters):
    expected = matching(corpus, **filters)
    results = built_index.query("", filters=filters, per_page=100)
    assert {h.id for h in results.hits} == {d.id for d in expected}
    assert results.total == len(expected)
    assert results.facets == expected_facets(expected)


def test_facets_cover_all_results_not_only_the_page(built_index: SearchIndex, corpus):
    results = built_index.query("", filters={"project": ["ATLAS"]}, per_page=2)
    expected = matching(corpus, project=["ATLAS"])
    assert len(results.hits) == 2
    assert results.facets == expected_facets(expected)


def test_facets_of_a_text_query(built_index: SearchIndex, corpus):
    # "vendor" has no other inflection in the corpus, so a regex finds the same documents.
    word = re.compile(r"\bvendors?\b", re.I)
    expected = [d for d in corpus if word.search(" ".join([d.title, d.summary, d.body, *d.tags]))]
    results = built_index.query("vendor", per_page=100)
    assert {h.id for h in results.hits} == {d.id for d in expected}
    assert results.facets == expected_facets(expected)


def test_filter_values_are_case_insensitive(built_index: SearchIndex):
    upper = built_index.query("", filters={"project": ["p3"], "type": ["LESSON"]})
    lower = built_index.query("", filters={"project": ["P3"], "type": ["lesson"]})
    assert upper.total == lower.total > 0


def test_filter_injection_cannot_widen_results(built_index: SearchIndex, corpus):
    # Pasted into a query string this would read "(risk) OR (project:p7) AND project:p3".
    with pytest.raises(QueryError):
        built_index.query("risk) OR (project:p7", filters={"project": ["P3"]})
    # The balanced form is a valid query that reaches P7 documents...
    unfiltered = built_index.query("(risk) OR (project:p7)", per_page=100)
    assert any(h.project == "P7" for h in unfiltered.hits)
    # ...but the filter is applied as a Term query, outside the user's text.
    filtered = built_index.query("(risk) OR (project:p7)", filters={"project": ["P3"]})
    assert filtered.total > 0
    assert {h.project for h in filtered.hits} == {"P3"}
    assert [v for v, _ in filtered.facets["project"]] == ["p3"]


def test_unknown_filter_key_is_a_query_error(built_index: SearchIndex):
    with pytest.raises(QueryError, match="Unknown filter"):
        built_index.query("risk", filters={"owner": ["me"]})


def test_empty_filter_values_do_not_constrain(built_index: SearchIndex, corpus):
    assert built_index.query("", filters={"project": []}).total == len(corpus)


def test_pagination(built_index: SearchIndex, corpus):
    first = built_index.query("", per_page=7)
    assert first.pages == -(-len(corpus) // 7)
    seen = []
    for page in range(1, first.pages + 1):
        seen += [h.id for h in built_index.query("", per_page=7, page=page).hits]
    assert sorted(seen) == sorted(d.id for d in corpus)
    beyond = built_index.query("", per_page=7, page=first.pages + 1)
    assert beyond.hits == []
    assert beyond.total == len(corpus)
    assert beyond.page == first.pages + 1


def test_per_page_is_capped(built_index: SearchIndex):
    assert built_index.query("", per_page=1000).per_page == 100


@pytest.mark.parametrize("kwargs", [{"page": 0}, {"page": -3}, {"per_page": 0}, {"sort": "x"}])
def test_bad_paging_or_sort_is_a_query_error(built_index: SearchIndex, kwargs):
    with pytest.raises(QueryError):
        built_index.query("risk", **kwargs)


def test_browse_sorts_newest_first(built_index: SearchIndex, corpus):
    results = built_index.query("", per_page=100)
    assert results.sort == "date"
    assert [h.id for h in results.hits] == [
        d.id for d in sorted(corpus, key=lambda d: d.date, reverse=True)
    ]


def test_text_query_sorted_by_date(built_index: SearchIndex):
    by_date = built_index.query("risk", sort="date", per_page=100)
    dates = [h.date for h in by_date.hits]
    assert by_date.sort == "date"
    assert dates == sorted(dates, reverse=True)
    by_relevance = built_index.query("risk", per_page=100)
    assert by_relevance.sort == "relevance"
    assert {h.id for h in by_relevance.hits} == {h.id for h in by_date.hits}


def test_facets_follow_updates_and_deletes(search_index: SearchIndex, corpus, doc_factory):
    search_index.rebuild(corpus, last_seq=1)
    assert search_index.query("").facets == expected_facets(corpus)  # fills the facet cache
    changed = doc_factory(id="LL-2025-0001", tags=["escrow", "zebra-crossing"], phase="closure")
    search_index.apply([changed], ["LL-2021-0030"], last_seq=2)
    docs = [changed if d.id == changed.id else d for d in corpus if d.id != "LL-2021-0030"]
    after = search_index.query("", per_page=100)
    assert after.total == len(docs)
    assert after.facets == expected_facets(docs)
    escrow = search_index.query("", filters={"tag": ["escrow"]})
    assert [h.id for h in escrow.hits] == ["LL-2025-0001"]
    assert escrow.facets == expected_facets([changed])


def _facet_docs(doc_factory, first: int, count: int) -> list[IndexDoc]:
    """Documents whose facet values range from held by nearly all to held by one: values
    that many documents hold are counted from bit masks, the rarer ones looked up."""
    phases = ["initiation", "planning", "execution", "closure", None]
    return [
        doc_factory(
            id=f"LL-2024-{n:04d}",
            type="process" if n % 120 == 10 else "lesson",  # one a segment
            project=f"p{n % 3}" if n % 11 else None,
            phase=phases[n % 5],
            topics=(["schedule"] if n % 2 else []) + ([f"topic-{n % 13}"] if n % 4 else []),
            tags=[] if n % 17 == 0 else ["common", f"tag-{n % 9}", *(["one"] if n == 8 else [])],
        )
        for n in range(first, first + count)
    ]


@pytest.mark.parametrize("masks", [None, False, True])
def test_facet_counts_of_any_matches_either_way(search_index: SearchIndex, doc_factory, masks):
    """Matches of any share of the index, with deleted documents in both segments, counted
    a document at a time, from masks, or whichever costs less: the documents' own counts."""
    from kb.search.facets import FacetCache, facet_counts

    corpus = _facet_docs(doc_factory, 0, 120) + _facet_docs(doc_factory, 120, 120)
    search_index.rebuild(corpus[:120], last_seq=1)
    search_index.apply(corpus[120:], [], last_seq=2)
    gone = {corpus[1].id, corpus[121].id, corpus[7].id}
    search_index.apply([], gone, last_seq=3)  # deleted documents in each segment
    searcher = search_index._searcher()
    assert len(list(searcher.leaf_searchers())) == 2
    docs = {d.id: d for d in corpus if d.id not in gone}
    live = [n for n in range(searcher.doc_count_all()) if not searcher.reader().is_deleted(n)]
    cache = FacetCache()
    for count in (0, 1, 7, len(live) // 2, len(live) - 1, len(live)):
        for first in (0, 3):  # a run at the start, and one that leaves gaps at both ends
            chosen = sorted((live[first:] + live[:first])[:count])
            expected = expected_facets([docs[searcher.stored_fields(n)["id"]] for n in chosen])
            assert facet_counts(searcher, chosen, cache, masks=masks) == expected, (count, first)


def test_facet_postings_read_a_block_at_a_time_are_whoosh_own(
    search_index: SearchIndex, doc_factory
):
    """facets._all_ids over Whoosh's own leaf matcher (a reader the posting cache does not
    follow; blocks of 128) and over a kept list gives the documents all_ids() gives."""
    from whoosh import index as whoosh_index

    from kb.search import facets

    search_index.rebuild(_facet_docs(doc_factory, 0, 300), last_seq=1)
    raw = whoosh_index.open_dir(str(search_index.path)).reader()
    kept = search_index._searcher().reader()
    for reader, leaf in ((raw, "W3LeafMatcher"), (kept, "KeptLeaf")):
        seen = set()
        for fieldname in ("tags", "type", "project"):
            for term in reader.lexicon(fieldname):
                expected = list(reader.postings(fieldname, term).all_ids())
                matcher = reader.postings(fieldname, term)
                seen.add(type(matcher).__name__)
                assert list(facets._all_ids(matcher)) == expected, (fieldname, term)
        assert leaf in seen  # "common" is in all 300: three blocks of Whoosh's
    raw.close()
