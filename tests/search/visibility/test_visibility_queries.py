"""Restricted documents stay invisible through suggestions, field queries and attempts to
query or filter on the access fields.
"""

from __future__ import annotations

import pytest

from kb.search import QueryError
from kb.search.querylang import DEFAULT_FIELDS, SPELL_FIELDS, USER_FIELDS, make_parser, parse
from kb.search.schema import FILTER_FIELDS, build_schema
from tests.search.visibility.readers import READERS, can_read, hidden_words, ids

# -- suggestions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q, insiders, suggestion",
    [
        ("zephyrin", {"fay", "curator"}, "zephyrine"),  # only in R-FIN-1 (finance)
        ("marigld", {"dana", "curator"}, "marigold"),  # only in R-DANA-1 (owner dana)
        ("quixotc", {"lee", "curator"}, "quixotic"),  # only in R-LEG-1 (legal)
        ("obsidan", {"curator"}, "obsidian"),  # only in R-BOARD-1 (board, nobody here)
    ],
)
def test_misspelled_restricted_only_word_is_suggested_to_insiders_only(
    shared, q, insiders, suggestion
):
    for name, reader in READERS.items():
        results = shared.query(q, reader=reader)
        assert results.total == 0
        expected = suggestion if name in insiders else None
        assert results.suggestion == expected, name
    assert shared.query(q).suggestion == suggestion  # trusted callers: as before


def test_suggestion_with_or_never_carries_a_hidden_word(shared):
    # "vendor" alone finds visible hits, so the corrected query passes the "finds more"
    # check even for outsiders; the hidden word must not ride along.
    for name in ("anonymous", "sam", "dana", "lee"):
        assert shared.query("vendr OR zephyrin", reader=READERS[name]).suggestion == (
            "vendor OR zephyrin"
        ), name
    for name in ("fay", "curator"):
        assert shared.query("vendr OR zephyrin", reader=READERS[name]).suggestion == (
            "vendor OR zephyrine"
        ), name


def test_hidden_word_does_not_hide_a_visible_correction(search_index, doc_factory):
    # "zephyrine" (hidden, frequent) and "zephyrina" (visible) are both one edit from
    # "zephyrinx": an outsider gets the visible one, an insider the more frequent one.
    search_index.rebuild(
        [
            doc_factory(id="I-1", body="The zephyrina pilot went well."),
            *[
                doc_factory(
                    id=f"R-{n}", body="zephyrine plans", visibility="restricted", groups=["finance"]
                )
                for n in range(3)
            ],
        ],
        last_seq=1,
    )
    assert search_index.query("zephyrinx", reader=READERS["sam"]).suggestion == "zephyrina"
    assert search_index.query("zephyrinx", reader=READERS["fay"]).suggestion == "zephyrine"


def test_typing_a_hidden_word_exactly_behaves_as_an_unknown_word(shared):
    for name in ("anonymous", "sam", "dana"):
        results = shared.query("zephyrine", reader=READERS[name])
        assert results.total == 0 and results.hits == []
        assert results.suggestion is None
        assert all(counts == [] for counts in results.facets.values())


# -- field queries and injection ---------------------------------------------------------

RESTRICTED_ONLY_FIELD_QUERIES = [
    "tag:zephyrine",
    "tags:deal-room",
    "title:zephyrine",
    "title:quixotic",
    "title:obsidian",
    "title:marigold",
    "project:halo",
    "project:HALO",
    "project:law",
    "topic:mergers",
    "topics:litigation",
    "phase:valuation",
    "body:forensic",
    "tag:forensic",
]


@pytest.mark.parametrize("name", ["anonymous", "sam"])
@pytest.mark.parametrize("q", RESTRICTED_ONLY_FIELD_QUERIES)
def test_field_queries_on_restricted_only_values_find_nothing_for_outsiders(shared, name, q):
    results = shared.query(q, reader=READERS[name])
    assert results.total == 0 and results.hits == [] and results.pages == 0
    assert all(counts == [] for counts in results.facets.values())
    assert shared.query(q).total >= 1  # they do exist


def test_field_queries_find_restricted_documents_for_insiders(shared):
    assert ids(shared.query("tag:zephyrine", reader=READERS["fay"])) == {"R-FIN-1"}
    assert ids(shared.query("project:halo", reader=READERS["fay"])) == {"R-FIN-1"}
    assert ids(shared.query("title:marigold", reader=READERS["dana"])) == {"R-DANA-1"}
    assert ids(shared.query("project:law", reader=READERS["lee"])) == {"R-LEG-1"}
    assert ids(shared.query("title:obsidian", reader=READERS["curator"])) == {"R-BOARD-1"}
    assert ids(shared.query("title:marigold", reader=READERS["fay"])) == set()


INJECTIONS = [
    "visibility:restricted",
    "visibility:internal",
    "groups:finance",
    "groups:board",
    "owner:dana",
    "owner:erin",
    "owner:zoe",
    ") OR (",
    "vendor) OR (visibility:restricted",
    "(vendor) OR (groups:finance)",
    "vendor OR visibility:restricted",
    "NOT visibility:internal",
    "NOT vendor",
    "*",
    "visibility:*",
    "owner:da*",
    "groups:fin*",
    "id:R-FIN-1",
    "R-FIN-1",
    "vendor OR (NOT escrow)",
    '"visibility:restricted"',
    "tag:vendor OR groups:legal",
]


@pytest.mark.parametrize("name", ["anonymous", "sam", "fay", "dana"])
@pytest.mark.parametrize("q", INJECTIONS)
def test_injection_attempts_reveal_nothing(shared, docs, name, q):
    reader = READERS[name]
    readable = {d.id for d in docs if can_read(d, reader)}
    try:
        results = shared.query(q, per_page=100, reader=reader)
    except QueryError:
        return
    assert ids(results) <= readable
    assert results.total <= len(readable)
    text = f"{results.hits!r} {results.facets!r} {results.suggestion!r}".lower()
    assert not any(word in text for word in hidden_words(docs, reader))


ACCESS_FIELDS = {"visibility", "groups", "owner"}


@pytest.mark.parametrize("relaxed", [False, True])
@pytest.mark.parametrize(
    "q",
    [
        "owner:dana",
        "groups:finance",
        "visibility:restricted",
        "Owner:Dana vendor",
        "(owner:erin OR groups:legal)",
        "NOT visibility:internal",
        "owner:da*",
    ],
)
def test_access_field_names_are_plain_text(q, relaxed):
    assert not ACCESS_FIELDS & (set(USER_FIELDS) | set(SPELL_FIELDS))
    assert not ACCESS_FIELDS & (set(DEFAULT_FIELDS) | set(FILTER_FIELDS))
    parsed = parse(make_parser(build_schema(), relaxed=relaxed), q)
    fieldnames = {leaf.field() for leaf in parsed.leaves()}
    assert fieldnames and fieldnames <= set(DEFAULT_FIELDS), fieldnames


def test_typed_access_field_names_search_the_text(search_index, doc_factory):
    search_index.rebuild(
        [
            doc_factory(id="I-1", body="Visibility restricted to the owner Dana until sign-off."),
            doc_factory(id="R-1", body="Nothing in common.", visibility="restricted", owner="dana"),
        ],
        last_seq=1,
    )
    for q in ["owner:dana", "visibility:restricted"]:
        assert ids(search_index.query(q, reader=READERS["sam"])) == {"I-1"}, q
        assert ids(search_index.query(q)) == {"I-1"}, q


@pytest.mark.parametrize("key", ["visibility", "groups", "owner", "id"])
def test_access_fields_cannot_be_filtered_on(shared, key):
    with pytest.raises(QueryError, match="Unknown filter"):
        shared.query("", filters={key: ["restricted"]}, reader=READERS["sam"])


def test_filter_values_are_never_query_syntax(shared):
    results = shared.query("", filters={"project": ["P3) OR (project:HALO"]}, reader=READERS["sam"])
    assert results.total == 0
