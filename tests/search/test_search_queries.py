"""Hostile and malformed queries: a clear QueryError, never another exception, never slow."""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from kb.core.errors import ValidationError
from kb.search import QueryError, SearchIndex
from kb.search.collect import Budget

MALFORMED = {
    "unbalanced quote": ('"critical path', "double quote"),
    "unbalanced paren open": ("(risk OR issue", "parentheses"),
    "unbalanced paren close": ("risk) OR (issue", "parentheses"),
    "lone star": ("*", "Wildcards"),
    "star among words": ("risk * issue", "Wildcards"),
    "leading star": ("*plan", "Wildcards"),
    "leading question mark": ("?lan", "Wildcards"),
    "infix wildcard": ("*a*", "Wildcards"),
    "star inside a word": ("pl*n", "Wildcards"),
    "short prefix": ("pl*", "Wildcards"),
    "fielded leading star": ("title:*plan", "Wildcards"),
    "5,000 characters": ("risk " * 999 + "risks", "5,000 characters"),
    "1,000 nested parentheses": ("(" * 1000 + "risk" + ")" * 1000, "limit is 500"),
    "nested six deep": ("((((((risk))))))", "nested 6 deep"),
    "2,000 NOTs": ("NOT " * 2000 + "risk", "limit is 500"),
    "range": ("body:[a TO z]", "Ranges"),
    "exclusive range": ("{a TO z}", "Ranges"),
    "41 words": (" ".join(["risk"] * 41), "41 words"),
    "long phrase": ('"' + " ".join(["risk"] * 60) + '"', "60 words"),
}


@pytest.mark.parametrize("q, fragment", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_query_gives_a_readable_error(built_index: SearchIndex, q, fragment):
    with pytest.raises(QueryError) as info:
        built_index.query(q)
    error = info.value
    assert isinstance(error, ValidationError) and error.status == 400
    assert fragment in error.message
    assert error.message.endswith(".") and len(error.message) < 200


def test_query_at_the_limits_is_accepted(built_index: SearchIndex):
    built_index.query("(((((risk)))))")  # five levels
    built_index.query(" ".join(["risk"] * 40))
    built_index.query("x" * 500)
    built_index.query('risk?  "plan*"  what?')  # ? inside or after a word is punctuation


@pytest.mark.parametrize(
    "q",
    [
        "NOT NOT risk",
        "AND",
        "OR OR",
        "NOT",
        "risk AND",
        "() risk",
        "title:",
        ":",
        "risk^2",
        '""',
        '" "',
        '"the of"',
        "the",
        "!!!",
        "a",
        "risk ANDNOT",
        "REQUIRE",
        "'risk'",
        "title:(risk OR issue)",
        "-risk +issue",
        "risk~2",
        '"risk plan"~3',
        "\\",
        "%s",
        "\x00",
    ],
)
def test_odd_but_harmless_queries_never_raise_anything_else(built_index: SearchIndex, q):
    try:
        built_index.query(q)
    except QueryError as error:
        assert error.message


def test_random_queries_raise_only_query_errors(built_index: SearchIndex):
    pieces = [
        '"',
        "(",
        ")",
        "NOT",
        "AND",
        "OR",
        "risk",
        "plan*",
        "*",
        "?",
        "title:",
        "tag:vendor",
        "[a",
        "TO",
        "z]",
        "{",
        "}",
        "^2",
        "~",
        ":",
        "the",
        "-",
        "+",
        "\\",
        "'",
        "escrow",
        "project:p7",
        "ANDMAYBE",
        "é",
        "日本",
    ]
    rng = random.Random(20240601)
    for _ in range(400):
        q = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        try:
            results = built_index.query(q)
        except QueryError as error:
            assert error.message, q
        else:
            assert results.total >= 0


def test_filters_are_never_parsed_as_query_syntax(built_index: SearchIndex):
    results = built_index.query("", filters={"project": ["P3) OR (project:P7"]})
    assert results.total == 0


@pytest.fixture(scope="module")
def large_index(tmp_path_factory: pytest.TempPathFactory, corpus):
    """About 1,500 documents: enough for a search to outlast a tiny time limit."""
    ix = SearchIndex(tmp_path_factory.mktemp("large") / "index")
    docs = []
    for n in range(50):
        for doc in corpus:
            docs.append(dataclasses.replace(doc, id=f"{doc.id}-{n}"))
    ix.rebuild(docs, last_seq=1)
    yield ix
    ix.close()


WORDS = "risk plan* vendor escrow supplier schedule testing team change design build data"
HEAVY = " OR ".join(WORDS.split())


@pytest.mark.parametrize("filters", [None, {"type": ["lesson", "process"]}])
def test_slow_search_is_stopped_by_its_work_budget(large_index, caplog, filters):
    limited = SearchIndex(large_index.path, time_limit=10)
    try:
        limited.query(HEAVY, filters=filters, per_page=100)  # its postings decoded once
        limited.forget_answers()
        limited.time_limit = 0.001
        with (
            caplog.at_level(logging.INFO, logger="kb.search"),
            pytest.raises(QueryError, match="too much work"),
        ):
            limited.query(HEAVY, filters=filters, per_page=100)
        # Stopped while collecting (not before starting): the collector logged it.
        assert "search stopped after" in caplog.text
    finally:
        limited.close()


def test_the_budget_counts_work_not_waiting_for_the_processor():
    budget = Budget(0.05)
    # Standing in for a thread that waits its turn on a busy machine: wall time passes,
    # this thread's processor time does not.
    threading.Event().wait(0.2)
    assert budget.remaining() > 0.04


def test_a_budget_spent_while_decoding_postings_starts_again_once():
    decoded = [0]
    spent = Budget(0.001, lambda: decoded[0])
    while spent.left() > 0:  # this thread's work, nothing decoded
        pass
    with pytest.raises(QueryError, match="too much work"):
        spent.remaining()
    budget = Budget(0.001, lambda: decoded[0])
    decoded[0] += 4096  # postings decoded meanwhile
    while budget.left() > 0:
        pass
    assert budget.remaining() == 0.001  # a second budget
    while budget.left() > 0:
        pass
    with pytest.raises(QueryError, match="too much work"):
        budget.remaining()  # and no third


def test_the_postings_a_thread_decodes_are_counted_for_it_alone(large_index):
    cold = SearchIndex(large_index.path)
    try:
        cold.query("risk vendor")
        mine = cold._postings.decoded_here()
        assert mine > 0
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(cold._postings.decoded_here).result() == 0
        cold.forget_answers()
        cold.query("risk vendor")  # nothing new decoded
        assert cold._postings.decoded_here() == mine
    finally:
        cold.close()


def test_concurrent_searches_are_all_answered(large_index: SearchIndex):
    def search(_n: int) -> int:
        return large_index.query(HEAVY, filters={"type": ["lesson", "process"]}).total

    with ThreadPoolExecutor(8) as pool:
        totals = list(pool.map(search, range(24)))
    assert len(set(totals)) == 1 and totals[0] > 500


def test_normal_search_within_the_default_limit(large_index: SearchIndex):
    results = large_index.query(HEAVY, filters={"type": ["lesson", "process"]})
    assert results.total > 500
