"""Restricted documents stay invisible to readers who may not read them in hits, totals,
facets and pages.

Two kinds of checks: expectations computed from the fixture itself (who may read what,
facet counts), and a reference per reader, an index holding only the documents that reader
may read, which must answer every query exactly as the shared index does for that reader.
"""

from __future__ import annotations

import math

import pytest

from kb.search import IndexDoc
from tests.search.visibility.readers import (
    READERS,
    SECRET_WORDS,
    can_read,
    expected_facets,
    hidden_words,
    ids,
)


def test_fixture_secret_words_are_really_secret(docs):
    # The snippet and suggestion checks rely on it.
    for doc in docs:
        text = " ".join(
            [
                doc.title,
                doc.body,
                *doc.tags,
                *doc.topics,
                doc.project_name or "",
                doc.project or "",
                doc.phase or "",
            ]
        ).lower()
        for owner_id, words in SECRET_WORDS.items():
            if doc.id != owner_id:
                assert not any(word in text for word in words), (doc.id, owner_id)


# -- hits, totals, facets, pages --------------------------------------------------------


@pytest.mark.parametrize("name", READERS)
def test_browsing_shows_and_counts_only_readable_documents(shared, docs, name):
    reader = READERS[name]
    readable = [d for d in docs if can_read(d, reader)]
    results = shared.query("", per_page=100, reader=reader)
    assert ids(results) == {d.id for d in readable}
    assert results.total == len(readable)
    assert results.facets == expected_facets(readable)


def test_who_reads_what(docs):
    # The rule as the fixture expresses it, so the parametrized tests mean something.
    restricted = {name: {d.id for d in docs if not can_read(d, r)} for name, r in READERS.items()}
    all_restricted = {"R-FIN-1", "R-FIN-2", "R-LEG-1", "R-DANA-1", "R-BOARD-1"}
    assert restricted["anonymous"] == all_restricted
    assert restricted["sam"] == all_restricted
    assert restricted["fay"] == {"R-LEG-1", "R-DANA-1", "R-BOARD-1"}
    assert restricted["dana"] == {"R-FIN-1", "R-FIN-2", "R-LEG-1", "R-BOARD-1"}
    assert restricted["lee"] == {"R-FIN-1", "R-DANA-1", "R-BOARD-1"}
    assert restricted["curator"] == set()


@pytest.mark.parametrize("name", READERS)
@pytest.mark.parametrize(
    "filters",
    [
        {"project": ["P3"]},
        {"tag": ["vendor"]},
        {"topic": ["procurement"]},
        {"tag": ["zephyrine"]},
        {"project": ["HALO", "LAW"]},
        {"type": ["process"]},
    ],
)
def test_facet_filters_are_anded_with_visibility(shared, docs, name, filters):
    reader = READERS[name]
    (key, values), *_ = filters.items()
    field = {"project": "project", "tag": "tags", "topic": "topics", "type": "type"}[key]

    def has(doc: IndexDoc) -> bool:
        value = getattr(doc, field)
        have = value if isinstance(value, list) else [value]
        return bool({str(v).lower() for v in have if v} & {v.lower() for v in values})

    expected = [d for d in docs if can_read(d, reader) and has(d)]
    results = shared.query("", filters=filters, per_page=100, reader=reader)
    assert ids(results) == {d.id for d in expected}
    assert results.total == len(expected)
    assert results.facets == expected_facets(expected)


@pytest.mark.parametrize("name", READERS)
def test_text_query_counts_only_readable_hits(shared, docs, name):
    reader = READERS[name]
    readable = {d.id for d in docs if can_read(d, reader)}
    by_id = {d.id: d for d in docs}
    for q in ["vendor", "invoice", "supplier", "escrow", "procurement"]:
        everything = ids(shared.query(q, per_page=100))
        expected = everything & readable
        results = shared.query(q, per_page=100, reader=reader)
        assert ids(results) == expected, q
        assert results.total == len(expected), q
        assert results.facets == expected_facets([by_id[i] for i in expected]), q
    # The shared words really do reach restricted documents for those allowed.
    assert "R-FIN-2" in ids(shared.query("vendor invoice", reader=READERS["fay"]))


@pytest.mark.parametrize("name", ["anonymous", "sam", "fay", "dana"])
def test_pages_are_cut_from_readable_documents_only(shared, docs, name):
    reader = READERS[name]
    readable = {d.id for d in docs if can_read(d, reader)}
    first = shared.query("", per_page=7, reader=reader)
    assert first.pages == math.ceil(len(readable) / 7)
    seen: set[str] = set()
    for page in range(1, first.pages + 1):
        results = shared.query("", per_page=7, page=page, reader=reader)
        assert results.total == len(readable)
        seen |= ids(results)
    assert seen == readable


# -- the reference: the same answers as an index without the hidden documents -----------

QUERIES = [
    "",
    "vendor",
    "invoice",
    "vendor invoice",
    "supplier",
    "escrow",
    "procurement",
    "zephyrine",
    "zephyrin",
    "marigold",
    "marigld",
    "litigation",
    "litigaton",
    "quixotic",
    "obsidian",
    "obsidan",
    "forensik accountants",
    "vendr OR zephyrin",
    "vendr zephyrin",
    "supplier OR marigold",
    "escrow NOT marigold",
    "zeph*",
    "mari*",
    "quix*",
    "title:zephyrine",
    "title:marigold",
    "tag:zephyrine",
    "tag:deal-room",
    "tag:forensic",
    "project:halo",
    "project:law",
    "topic:mergers",
    "topic:litigation",
    "phase:valuation",
    "type:process obsidian",
    "author:dana",
    "Halo",
    "Lawsuit",
    '"litigation hold"',
    "visibility:restricted",
    "visibility:internal",
    "groups:finance",
    "groups:legal",
    "owner:dana",
    "owner:erin",
    "restricted",
    "finance",
    "halo divestment",
]
FILTERS = [None, {"project": ["P3"]}, {"tag": ["vendor", "marigold"]}, {"project": ["halo"]}]


@pytest.mark.parametrize("name", READERS)
@pytest.mark.parametrize("filters", FILTERS, ids=["none", "p3", "tags", "halo"])
def test_same_answers_as_an_index_of_the_readable_documents(shared, references, name, filters):
    reader = READERS[name]
    reference = references[name]
    for q in QUERIES:
        got = shared.query(q, filters=filters, per_page=100, reader=reader)
        want = reference.query(q, filters=filters, per_page=100)
        assert ids(got) == ids(want), q
        assert got.total == want.total, q
        assert got.pages == want.pages, q
        assert got.facets == want.facets, q
        assert got.suggestion == want.suggestion, q
        assert {h.id: h.snippet for h in got.hits} == {h.id: h.snippet for h in want.hits}, q


@pytest.mark.parametrize("name", READERS)
def test_no_word_of_an_unreadable_document_in_any_answer(shared, docs, name):
    reader = READERS[name]
    secrets = hidden_words(docs, reader)
    readable = {d.id for d in docs if can_read(d, reader)}
    for q in QUERIES:
        results = shared.query(q, per_page=100, reader=reader)
        assert ids(results) <= readable, q
        # Hits (snippets, titles, tags...), facets, and the suggestion's own words (a
        # suggestion repeats the words typed, which are the person's, not the index's).
        typed = set(q.lower().replace(":", " ").split())
        offered = set((results.suggestion or "").lower().split()) - typed
        text = f"{results.hits!r} {results.facets!r} {offered!r}".lower()
        assert not any(word in text for word in secrets), (q, results.suggestion)
