"""Property: whatever a person types into the search box, the search answers or says what is
wrong (QueryError, a KbError), never another exception: the parser never hands the engine a
query it cannot run (a phrase on a field without positions was a 500)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import query

from kb.core.errors import KbError
from kb.search import SearchIndex, querylang
from kb.search.schema import build_schema

PROPERTY = settings(max_examples=300, deadline=None, derandomize=True, database=None)

ANY_CHARACTER = st.characters(codec=None, exclude_categories=())
# The query language's own pieces, the corpus' words and what other parsers would read as
# syntax, so that examples combine them instead of being mostly plain words.
TOKENS = [
    '"',
    "(",
    ")",
    "*",
    "?",
    ":",
    ",",
    "-",
    "+",
    "^",
    "~",
    "\\",
    "[",
    "]",
    "{",
    "}",
    "TO",
    "/",
    " ",
    " ",
    " ",
    "AND",
    "OR",
    "NOT",
    "ANDNOT",
    "ANDMAYBE",
    "and",
    "not",
    "'",
    "!",
    "&&",
    "||",
    *(f"{name}:" for name in querylang.USER_FIELDS),
    "owner:",
    "visibility:",
    "date:",
    "groups:",
    "plan",
    "planning",
    "risk",
    "vendor",
    "schedule",
    "interface",
    "the",
    "of",
    "a",
    "ATLAS",
    "plan,",
    "risk,",
    ", ",
    "migrat*",
    "pl*",
    "é",
    "日本",
    "\x00",
    "\ud800",
    "\t",
    "\n",
    "1",
    "2025-03-14",
    "LL-2025-0001",
    "*a*",
    "a" * 60,
]
QUERIES = st.one_of(
    st.lists(st.sampled_from(TOKENS) | st.text(ANY_CHARACTER, max_size=4), max_size=30).map(
        "".join
    ),
    st.lists(st.sampled_from(TOKENS), max_size=30).map(" ".join),
    st.text(ANY_CHARACTER, max_size=60),
)
FILTERS = st.dictionaries(
    st.sampled_from(["type", "topic", "phase", "project", "tag", "status", "polarity"]),
    st.lists(
        st.sampled_from(["lesson", "schedule", "build", "atlas", "vendor", "a, b", ""])
        | st.text(ANY_CHARACTER, max_size=6),
        max_size=3,
    ),
    max_size=3,
)


@PROPERTY
@given(q=QUERIES, filters=FILTERS, sort=st.sampled_from(["relevance", "date"]))
def test_any_query_gives_results_or_a_query_error(built_index: SearchIndex, q, filters, sort):
    try:
        results = built_index.query(q, filters=filters, sort=sort)
    except KbError as exc:
        assert exc.message and exc.status == 400
        return
    assert results.total >= len(results.hits)


@PROPERTY
@given(QUERIES)
def test_parsed_queries_hold_no_phrase_the_engine_cannot_run(q):
    """Checked on the tree itself, independent of what the corpus happens to contain."""
    schema = build_schema()
    for parser in (querylang.make_parser(schema), querylang.make_parser(schema, relaxed=True)):
        try:
            querylang.validate(q)
            parsed = querylang.parse(parser, q)
        except KbError:
            return
        for node in _nodes(parsed):
            if isinstance(node, query.Phrase):
                assert schema[node.fieldname].supports("positions"), (q, node)


def _nodes(node: query.Query):
    yield node
    for child in node.children():
        yield from _nodes(child)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ('tag:"vendor, invoice"', {"LL-2024-0003"}),  # both tags, not one of them
        ('"vendor, invoice"', {"LL-2024-0003"}),
        ('project:"atlas merc"', set()),  # one project per document: none has both
    ],
)
def test_phrases_on_keyword_fields_need_every_word(built_index: SearchIndex, q, expected):
    found = {hit.id for hit in built_index.query(q, per_page=50).hits}
    assert expected <= found
    if not expected:
        assert not found
