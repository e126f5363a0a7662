"""kb.core.jsonbody: strict, bounded JSON. Properties over any bytes and any JSON value, and
the limits one by one."""

from __future__ import annotations

import json
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.core.errors import KbError, TooLarge
from kb.core.jsonbody import MAX_DEPTH, MAX_INT_DIGITS, InvalidJSON, depth_of, parse_json
from kb.core.text import bad_character

PROPERTY = settings(max_examples=400, deadline=None, derandomize=True, database=None)
ANY_CHARACTER = st.characters(codec=None, exclude_categories=())
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(ANY_CHARACTER, max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(ANY_CHARACTER, max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@PROPERTY
@given(
    st.binary(max_size=300)
    | st.text(ANY_CHARACTER).map(lambda t: t.encode("utf-8", "surrogatepass"))
)
def test_any_bytes_give_a_value_or_a_domain_error(raw: bytes) -> None:
    try:
        parse_json(raw)
    except KbError as exc:
        assert exc.message and exc.status in (400, 413)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, member in value.items():
            yield key
            yield from _strings(member)
    elif isinstance(value, list):
        for member in value:
            yield from _strings(member)


@PROPERTY
@given(VALUES)
def test_any_json_value_reads_back_the_same_or_is_refused_for_a_rule(value) -> None:
    raw = json.dumps(value).encode("ascii")  # escapes: \ud800 and \u0000 travel as text
    try:
        again = parse_json(raw)
    except InvalidJSON as exc:
        # refused only for one of the documented rules
        assert any(bad_character(s) for s in _strings(value)) or any(
            word in exc.message for word in ("NaN", "Infinity", "too large", "digits", "nested")
        ), exc.message
        return
    assert json.dumps(again) == json.dumps(value)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "nested more than 32"),
        (b'{"a":' * 5000, "nested more than 32"),  # refused before parsing, even unclosed
        (b"[" + b"1" * (MAX_INT_DIGITS + 1) + b"]", "41 digits"),
        (b"[-Infinity]", "-Infinity is not a JSON value"),
        (b"[1e400]", "too large"),
        (b'{"\\u0000": 1}', "U+0000 (NUL)"),
        (b'{"a": {"b": ["ok", "\\ud83d"]}}', "at `a.b[1]`"),
        (b'"\\u0085"', "U+0085"),
        (b"\xed\xa0\x80", "not valid UTF-8"),
        (b'{"a": {"to": "published", "to": "draft"}}', 'the member name "to" appears twice'),
    ],
)
def test_limits(raw: bytes, fragment: str) -> None:
    with pytest.raises(InvalidJSON, match=re.escape(fragment)):
        parse_json(raw)


def test_what_is_accepted() -> None:
    assert parse_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None
    assert parse_json(b'{"a": "tab\\t, line\\n, \\ud83d\\ude00, \\u2028"}') == {
        "a": "tab\t, line\n, \U0001f600, \u2028"
    }
    assert parse_json(b'"[[[[ not nesting ]]]]"') == "[[[[ not nesting ]]]]"
    with pytest.raises(TooLarge):
        parse_json(b"[1]", max_bytes=2)


def test_the_depth_scan_is_linear() -> None:
    # an unclosed string full of escaped quotes made a backtracking scan quadratic
    hostile = '"' + '\\"' * 500_000
    started = time.perf_counter()
    assert depth_of(hostile, MAX_DEPTH) == 0
    assert depth_of("[]" * 500_000, MAX_DEPTH) == 1
    assert time.perf_counter() - started < 5
