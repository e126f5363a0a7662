"""What people find: ranking, phrases, fields, prefixes, suggestions, snippets, more_like."""

from __future__ import annotations

import re
import threading

from kb.search import SearchIndex


def ids(results) -> list[str]:
    return [hit.id for hit in results.hits]


def test_title_match_outranks_body_only_match(built_index: SearchIndex):
    # LL-2025-0001 has escrow in its title, LL-2025-0002 only in its body.
    found = ids(built_index.query("escrow"))
    assert found.index("LL-2025-0001") < found.index("LL-2025-0002")
    assert found[0] in {"LL-2025-0001", "LL-2021-0030"}  # both have it in the title


def test_phrase_requires_adjacent_words(built_index: SearchIndex):
    phrase = set(ids(built_index.query('"user acceptance testing"')))
    words = set(ids(built_index.query("user acceptance testing")))
    assert phrase == {"LL-2024-0006"}
    # LL-2024-0007 has all three words, apart: found by words, not by the phrase.
    assert "LL-2024-0007" in words - phrase


def test_phrase_with_stop_word(built_index: SearchIndex):
    found = set(ids(built_index.query('"single point of failure"')))
    assert found == {"LL-2023-0012", "LL-2023-0013"}
    # Unquoted, the stop word "of" must not become a required tag.
    assert set(ids(built_index.query("single point of failure"))) == found


def test_two_words_rank_documents_with_both_first(built_index: SearchIndex):
    # AND: only the document with both words, although each word alone finds several.
    assert ids(built_index.query("vendor invoice")) == ["LL-2024-0003"]
    assert built_index.query("vendor").total > 1
    assert built_index.query("invoice").total > 1


def test_two_words_without_common_document_fall_back_to_any_word(built_index: SearchIndex):
    # No document has both "sponsor" and "reconciliation": no dead end, both kinds listed.
    results = built_index.query("sponsor reconciliation")
    assert {"LL-2022-0022", "LL-2024-0010"} <= set(ids(results))
    assert results.total == len(results.hits)


def test_relaxed_search_ranks_documents_with_more_of_the_words_first(built_index):
    # No document has all three words; the one with two of them comes first.
    results = built_index.query("sponsor approval reconciliation")
    assert ids(results)[0] == "LL-2022-0022"
    assert "LL-2024-0010" in ids(results)


def test_explicit_and_is_not_relaxed(built_index: SearchIndex):
    assert built_index.query("sponsor AND reconciliation").total == 0


def test_boolean_operators_and_groups(built_index: SearchIndex):
    either = set(ids(built_index.query("escrow OR penalty")))
    assert either == {"LL-2025-0001", "LL-2025-0002", "LL-2021-0030", "LL-2022-0021"}
    without = set(ids(built_index.query("escrow NOT licence")))
    assert without == {"LL-2025-0001", "LL-2021-0030"}
    grouped = set(ids(built_index.query("(escrow OR penalty) AND vendor")))
    assert grouped == {"LL-2022-0021"}


def test_field_queries(built_index: SearchIndex):
    assert set(ids(built_index.query("title:invoice"))) == {
        "LL-2024-0003",
        "LL-2024-0005",
        "PM-0004",
    }
    assert set(ids(built_index.query("tag:escrow"))) == {"LL-2025-0001", "LL-2021-0030"}
    assert set(ids(built_index.query("tags:escrow"))) == {"LL-2025-0001", "LL-2021-0030"}
    assert set(ids(built_index.query('topic:"change management"'))) == {
        "LL-2023-0015",
        "LL-2023-0016",
        "PM-0002",
    }
    # Project keys are matched case-insensitively.
    by_key = set(ids(built_index.query("project:p7 invoice")))
    assert by_key == {"LL-2024-0005", "PM-0004"}
    assert set(ids(built_index.query("type:Guide"))) == {"GD-0001", "GD-0002"}
    assert set(ids(built_index.query("phase:closure"))) == {"LL-2023-0014", "LL-2022-0020"}


def test_unknown_field_is_plain_text(built_index: SearchIndex):
    # "terms:" and "date:" are not user fields: their words are searched as text.
    assert ids(built_index.query("terms:deposit")) == ["LL-2025-0001"]
    assert built_index.query("date:2024").total == 0
    assert built_index.query("foo:bar").total == 0


def test_trailing_prefix(built_index: SearchIndex):
    found = set(ids(built_index.query("plan*", per_page=100)))
    # planning, planned, planner(s)
    assert {"LL-2024-0008", "LL-2024-0009", "LL-2021-0029"} <= found
    assert "LL-2025-0001" not in found
    assert set(ids(built_index.query("title:plan*"))) == {
        "LL-2024-0008",
        "LL-2021-0029",
        "LL-2023-0016",
    }


def test_search_reaches_summary_author_and_project_name(built_index: SearchIndex, corpus):
    assert built_index.query("Phoenix").total == sum(d.project == "P3" for d in corpus)
    assert built_index.query("author:dana").total == len(corpus)


def test_misspelled_word_gets_a_suggestion(built_index: SearchIndex):
    results = built_index.query("reconcilation")
    assert results.total == 0
    assert results.suggestion == "reconciliation"


def test_suggestion_for_one_misspelled_word_of_two(built_index: SearchIndex):
    results = built_index.query("vendr invoice")
    assert results.suggestion == "vendor invoice"


def test_no_suggestion_for_a_good_query(built_index: SearchIndex):
    assert built_index.query("escrow").suggestion is None
    assert built_index.query("migration").suggestion is None


def test_suggestion_never_repeats_the_query(built_index: SearchIndex):
    for q in ["zzzzqqq", "the", "sandbox", "xylophone quartet"]:
        results = built_index.query(q)
        assert results.suggestion != q


def test_snippet_marks_matches_and_escapes_html(built_index: SearchIndex):
    (hit,) = built_index.query("sandbox").hits
    assert "<mark>sandbox</mark>" in hit.snippet.lower()
    # The fragment may start inside "<script>"; whatever is shown is escaped.
    assert "<script" not in hit.snippet and "</script" not in hit.snippet
    assert "&lt;/script&gt;" in hit.snippet
    assert "&amp;" in hit.snippet
    # Only <mark> tags survive as markup.
    assert set(re.findall(r"</?(\w+)", hit.snippet)) == {"mark"}


def test_browse_snippet_is_escaped_plain_text(built_index: SearchIndex):
    results = built_index.query("", filters={"tag": ["sandbox"]})
    (hit,) = results.hits
    assert "<" not in hit.snippet.replace("&lt;", "")
    assert "&lt;script&gt;" in hit.snippet
    assert "<mark>" not in hit.snippet


def test_hit_carries_document_fields(built_index: SearchIndex):
    (hit,) = built_index.query("title:licence").hits
    assert hit.id == "LL-2025-0002"
    assert hit.type == "lesson"
    assert hit.project == "ATLAS"
    assert hit.phase == "planning"
    assert hit.topics == ["cost"]
    assert hit.tags == ["licence", "finance"]
    assert hit.status == "published"
    assert hit.polarity == "problem"
    assert hit.date.year == 2025 and hit.date.utcoffset() is not None
    assert hit.score > 0


def test_more_like_returns_related_documents(built_index: SearchIndex):
    related = built_index.more_like("LL-2025-0001", limit=5)
    related_ids = [hit.id for hit in related]
    assert "LL-2025-0001" not in related_ids
    assert related_ids[0] == "LL-2021-0030"  # the other escrow lesson
    assert len(related_ids) <= 5
    assert built_index.more_like("NOPE-0000") == []


def test_related_documents_are_recomputed_when_the_index_changes(
    search_index: SearchIndex, corpus, doc_factory
):
    search_index.rebuild(corpus, last_seq=1)
    before = [hit.id for hit in search_index.more_like("LL-2025-0001", limit=3)]
    assert [hit.id for hit in search_index.more_like("LL-2025-0001", limit=3)] == before
    twin = doc_factory(
        id="LL-2026-0999",
        title="Escrow agreement delayed the source code handover again",
        body="The supplier refused to sign the escrow deposit terms until legal reviewed them.",
        tags=["escrow", "legal"],
        topics=["procurement", "schedule"],
    )
    search_index.apply([twin], [], last_seq=2)
    after = [hit.id for hit in search_index.more_like("LL-2025-0001", limit=3)]
    assert after[0] == "LL-2026-0999" and after != before


def test_a_new_thread_keeps_the_relatives_other_threads_found(search_index: SearchIndex, corpus):
    """A server's threads share the kept relatives: a thread's first searcher used to empty
    them, so every new thread recomputed every page's relatives. A rebuild, whose
    generations start again, still empties them."""
    search_index.rebuild(corpus, last_seq=1)
    search_index.more_like("LL-2025-0001", limit=3)
    other = threading.Thread(target=search_index.more_like, args=("LL-2025-0002",))
    other.start()
    other.join()
    assert len(search_index._related._entries) == 2
    search_index.rebuild(corpus, last_seq=1)
    search_index.more_like("LL-2025-0001", limit=3)
    assert len(search_index._related._entries) == 1
