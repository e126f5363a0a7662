"""Property: any text given to the front matter reader (and to the document parser behind it)
gives a result or a KbError with a message, never another exception (a 500 upstream)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.core.errors import KbError
from kb.documents.records import parse_record
from kb.markdown import _yaml, join, split

# Bounded and reproducible, with no time limit per example: passes on a loaded 2-core machine.
PROPERTY = settings(max_examples=400, deadline=None, derandomize=True, database=None)

ANY_CHARACTER = st.characters(codec=None, exclude_categories=())  # surrogates, NUL included
# Pieces of YAML and of kb's keys and values, so that the examples reach the parser's
# corners (flow collections, anchors, tags, numbers, dates, quoting, nesting) and the
# checks behind it, not only "no closing ---".
FRAGMENTS = [
    "title",
    "type",
    "lesson",
    "process",
    "guide",
    "id",
    "status",
    "topics",
    "tags",
    "project",
    "order",
    "version",
    "review_period_months",
    "occurred_on",
    "groups",
    "visibility",
    "extra",
    ": ",
    ":",
    "\n",
    "\n  ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "!!str ",
    "!x ",
    "? ",
    "'",
    '"',
    "\\u",
    "\\ud800",
    "|",
    ">",
    "#",
    "%YAML 1.1\n",
    "---\n",
    "...\n",
    "~",
    "null",
    ".nan",
    ".inf",
    "-.inf",
    "1e999",
    "0x1f",
    "0755",
    "12:30",
    "yes",
    "true",
    "-0",
    "1_000",
    "1" * 60,
    "9" * 5000,
    "2025-03-14",
    "2025-02-30",
    "2025-03-14T10:00:00+25:00",
    "<<",
    "\ufeff",
    "\u2028",
    "é",
    "  ",
    "\t",
    "\r\n",
    "LL-2025-0001",
    "PM-0001",
    "ATLAS",
    "build",
    "schedule",
    "a" * 300,
]
# characters kb refuses, put once somewhere into an otherwise ordinary document
HOSTILE = ["\x00", "\x07", "\x1b", "\x7f", "\x9b", "\ud800", "\udfff"]
PRINTABLE = st.characters(codec=None, exclude_categories=("Cc", "Cs"))
KEYS = [
    "title",
    "type",
    "id",
    "status",
    "polarity",
    "priority",
    "impact",
    "project",
    "phase",
    "topics",
    "category",
    "tags",
    "occurred_on",
    "date",
    "author",
    "summary",
    "version",
    "state",
    "owner",
    "custodian",
    "roles",
    "review_period_months",
    "last_reviewed",
    "order",
    "visibility",
    "groups",
    "extra",
    "x",
]
VALUE = st.lists(st.sampled_from(FRAGMENTS) | st.text(PRINTABLE, max_size=8), max_size=3)
LINE = st.builds(
    lambda key, value: f"{key}: {''.join(value)}\n",
    st.sampled_from(KEYS) | st.text(PRINTABLE, max_size=8),
    VALUE,
)
YAML_TEXT = st.lists(LINE | st.sampled_from(FRAGMENTS), max_size=12).map("".join)
STRUCTURED = st.builds(
    lambda title, yaml_text, body: f"---\n{title}{yaml_text}\n---\n{body}",
    st.sampled_from(["", "title: Vendor spec arrived late\n"]),
    YAML_TEXT,
    st.text(PRINTABLE) | st.sampled_from(["", "Body\n", "## Summary\n\nLate.\n"]),
)
WITH_HOSTILE = st.builds(
    lambda doc, at, char: doc[: at % (len(doc) + 1)] + char + doc[at % (len(doc) + 1) :],
    STRUCTURED,
    st.integers(0, 10_000),
    st.sampled_from(HOSTILE),
)
# mostly documents with a closed front matter block: that is where the checks are
DOCUMENTS = st.one_of(
    STRUCTURED,
    STRUCTURED,
    STRUCTURED,
    WITH_HOSTILE,
    st.text(ANY_CHARACTER, max_size=300),
)


@PROPERTY
@given(DOCUMENTS)
def test_split_gives_a_result_or_a_domain_error(source: str) -> None:
    try:
        meta, body = split(source)
    except KbError as exc:
        assert exc.message and exc.status == 400
        return
    assert isinstance(meta, dict) and isinstance(body, str)


@pytest.mark.parametrize("type_hint", ["lesson", "process", "guide", None])
@PROPERTY
@given(source=DOCUMENTS)
def test_parse_record_gives_a_record_or_a_domain_error(type_hint, source: str) -> None:
    try:
        record = parse_record(source, type_hint=type_hint)
    except KbError as exc:
        assert exc.message and 400 <= exc.status < 500
        return
    # what kb keeps can be encoded and has a non-blank title
    record.markdown.encode("utf-8")
    assert record.columns["title"].strip()


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(),
    st.text(ANY_CHARACTER, max_size=20),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(PROPERTY, max_examples=200)
@given(st.dictionaries(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), VALUES, max_size=6))
def test_what_join_writes_split_reads_back_or_refuses(meta: dict) -> None:
    """kb writes front matter from API fields: what it writes reads back the same, or is
    refused with a message (never a 500, never a silently different value)."""
    try:
        source = join(meta, "Body\n")
    except KbError:
        return
    try:
        again, _ = split(source)
    except KbError as exc:
        assert exc.message
        return
    assert again == meta


def test_dialect_limits_hold_for_both_loaders() -> None:
    for loader in _yaml.LOADERS:
        with pytest.raises(_yaml.FrontMatterYAMLError, match="5,000 digits"):
            _yaml.load("n: " + "9" * 5000, loader)
