"""Restricted documents stay invisible in related documents; callers without a reader see
everything, and readers and documents are normalised so that nothing opens by accident.
"""

from __future__ import annotations

import dataclasses

import pytest

from kb.search import Reader
from kb.search.schema import SCHEMA_VERSION
from tests.search.visibility.readers import READERS, can_read, expected_facets, ids

# -- related documents ------------------------------------------------------------------


@pytest.mark.parametrize("name", READERS)
def test_more_like_never_returns_unreadable_documents(shared, docs, name):
    reader = READERS[name]
    readable = {d.id for d in docs if can_read(d, reader)}
    for doc in docs:
        related = [hit.id for hit in shared.more_like(doc.id, limit=10, reader=reader)]
        if doc.id not in readable:
            assert related == [], doc.id
        else:
            assert set(related) <= readable - {doc.id}, doc.id


def test_more_like_of_restricted_document_for_insider(shared):
    related = [h.id for h in shared.more_like("R-FIN-2", limit=10, reader=READERS["fay"])]
    assert related and "LL-2024-0003" in related  # the internal vendor invoice lesson
    assert shared.more_like("R-FIN-2", limit=10, reader=READERS["sam"]) == []


def test_related_cache_does_not_leak_across_readers(search_index, docs):
    search_index.rebuild(docs, last_seq=1)
    lesson = "LL-2024-0003"  # vendor invoice: R-FIN-2 is its closest relative
    # The insider asks first and fills the cache.
    insider = [h.id for h in search_index.more_like(lesson, limit=10, reader=READERS["fay"])]
    assert "R-FIN-2" in insider
    for name in ("anonymous", "sam", "dana"):
        outsider = [h.id for h in search_index.more_like(lesson, limit=10, reader=READERS[name])]
        assert "R-FIN-2" not in outsider and outsider, name
    # The restricted document itself, asked for by an insider, then by outsiders.
    assert search_index.more_like("R-FIN-2", limit=10, reader=READERS["fay"])
    for name in ("anonymous", "sam", "dana"):
        assert search_index.more_like("R-FIN-2", limit=10, reader=READERS[name]) == []
    # Two readers without groups differ by ownership: dana's answer is not sam's.
    escrow = "LL-2025-0001"
    by_dana = [h.id for h in search_index.more_like(escrow, limit=10, reader=READERS["dana"])]
    by_sam = [h.id for h in search_index.more_like(escrow, limit=10, reader=READERS["sam"])]
    assert "R-DANA-1" in by_dana and "R-DANA-1" not in by_sam
    # Trusted callers, as before, see everything, and the insider's answer is unchanged.
    assert "R-FIN-2" in [h.id for h in search_index.more_like(lesson, limit=10)]
    again = [h.id for h in search_index.more_like(lesson, limit=10, reader=READERS["fay"])]
    assert again == insider


def test_related_cache_follows_a_document_becoming_restricted(search_index, docs):
    by_id = {d.id: d for d in docs}
    search_index.rebuild(docs, last_seq=1)
    lesson, relative = "LL-2025-0001", "LL-2021-0030"  # the two escrow lessons
    sam = READERS["sam"]
    assert relative in [h.id for h in search_index.more_like(lesson, reader=sam)]
    hidden = dataclasses.replace(by_id[relative], visibility="restricted", groups=["legal"])
    search_index.apply([hidden], [], last_seq=2)
    assert relative not in [h.id for h in search_index.more_like(lesson, reader=sam)]
    assert search_index.more_like(relative, reader=sam) == []
    assert relative in [h.id for h in search_index.more_like(lesson, reader=READERS["lee"])]
    assert (
        search_index.query("", reader=sam).total == len([d for d in docs if can_read(d, sam)]) - 1
    )


# -- callers without a reader, and how readers and documents are normalised --------------


def test_callers_without_a_reader_see_everything(shared, docs):
    results = shared.query("", per_page=100)
    assert results.total == len(docs) and ids(results) == {d.id for d in docs}
    assert results.facets == expected_facets(docs)
    assert ids(shared.query("tag:zephyrine")) == {"R-FIN-1"}
    assert shared.query("zephyrin").suggestion == "zephyrine"
    assert "R-FIN-2" in [h.id for h in shared.more_like("LL-2024-0003", limit=10)]
    assert shared.more_like("R-BOARD-1")


def test_existing_index_doc_callers_default_to_internal(search_index, corpus):
    assert corpus[0].visibility == "internal" and corpus[0].groups == []
    assert corpus[0].owner is None
    search_index.rebuild(corpus, last_seq=1)
    assert search_index.query("", reader=Reader()).total == len(corpus)
    assert SCHEMA_VERSION >= 2


def test_names_compare_case_insensitively(shared):
    shouting = Reader(username="DANA", groups=frozenset({"FINANCE"}))
    found = ids(shared.query("", per_page=100, reader=shouting))
    assert {"R-FIN-1", "R-FIN-2", "R-DANA-1"} <= found
    assert "R-LEG-1" not in found and "R-BOARD-1" not in found
    spaced = Reader(username="  fay ", groups=frozenset({" Finance "}))
    assert "R-FIN-1" in ids(shared.query("", per_page=100, reader=spaced))


def test_a_bare_string_of_groups_is_one_group(shared):
    # Not the set of its letters: a group called "l" or "e" must not come of "legal".
    reader = Reader(username="lee2", groups="legal")  # type: ignore[arg-type]
    found = ids(shared.query("", per_page=100, reader=reader))
    assert "R-LEG-1" in found and "R-FIN-1" not in found


def test_anonymous_reader_with_groups_still_sees_internal_only(shared, docs):
    reader = Reader(username=None, groups=frozenset({"finance", "legal", "board"}))
    found = ids(shared.query("", per_page=100, reader=reader))
    assert found == {d.id for d in docs if d.visibility == "internal"}
    assert ids(shared.query("", per_page=100, reader=Reader(username="  "))) == found


def test_unknown_visibility_fails_closed(search_index, doc_factory):
    search_index.rebuild(
        [
            doc_factory(id="A", visibility="Internal"),
            doc_factory(id="B", visibility="secret", groups=["finance"]),
            doc_factory(id="C", visibility="RESTRICTED", groups=["Finance"]),
            doc_factory(id="D", visibility="restricted", groups=["fin,ance"], owner="Dana"),
        ],
        last_seq=1,
    )
    assert ids(search_index.query("", reader=READERS["sam"])) == {"A"}
    # "secret" is restricted with its groups; a comma makes a group match nobody.
    assert ids(search_index.query("", reader=READERS["fay"])) == {"A", "B", "C"}
    comma = Reader(username="x", groups=frozenset({"fin,ance"}))
    assert ids(search_index.query("", reader=comma)) == {"A"}
    assert ids(search_index.query("", reader=READERS["dana"])) == {"A", "D"}
    assert search_index.query("", reader=READERS["curator"]).total == 4
