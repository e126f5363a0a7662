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


def test_facets_of_most_documents_count_the_others(search_index: SearchIndex, corpus):
    """Matches of any share of the index, with deleted documents in both segments: counted
    directly when they are half or fewer, from all documents minus the others beyond."""
    from kb.search.facets import FacetCache, facet_counts

    half = len(corpus) // 2
    search_index.rebuild(corpus[:half], last_seq=1)
    search_index.apply(corpus[half:], [], last_seq=2)
    gone = {corpus[1].id, corpus[half + 1].id}
    search_index.apply([], gone, last_seq=3)  # a deleted document in each segment
    searcher = search_index._searcher()
    assert len(list(searcher.leaf_searchers())) == 2
    docs = {d.id: d for d in corpus if d.id not in gone}
    live = [n for n in range(searcher.doc_count_all()) if not searcher.reader().is_deleted(n)]
    size = searcher.doc_count_all()
    for count in (0, 1, size // 2, size // 2 + 1, len(live) - 1, len(live)):
        for first in (0, 3):  # a run at the start, and one that leaves gaps at both ends
            chosen = sorted((live[first:] + live[:first])[:count])
            expected = expected_facets([docs[searcher.stored_fields(n)["id"]] for n in chosen])
            assert facet_counts(searcher, chosen, FacetCache()) == expected, (count, first)
