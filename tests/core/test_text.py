"""kb.core.text: the one rule for characters, and where its messages point."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kb.core.errors import ValidationError
from kb.core.text import bad_character, check_text, is_blank

KB = Path(__file__).resolve().parents[2] / "kb"


@pytest.mark.parametrize(
    "char",
    ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9f", "\ud800", "\udfff"],
)
def test_refused(char: str) -> None:
    assert bad_character(f"ab{char}") == (2, char)
    with pytest.raises(ValidationError, match=f"U\\+{ord(char):04X}"):
        check_text(f"ab{char}", "The title")


@pytest.mark.parametrize(
    "text",
    ["tab\there", "line\nbreak", "crlf\r\n", "é 日本 \U0001f600", "\u200b\u2028\ufeff\ufffd", ""],
)
def test_accepted(text: str) -> None:
    assert check_text(text, "The title") == text


def test_the_message_says_where() -> None:
    with pytest.raises(ValidationError) as caught:
        check_text("---\ntitle: x\n---\n\nfirst\nsec\x07ond\n", "The document", field="markdown")
    assert "U+0007 (BEL) on line 6, column 4" in caught.value.message
    assert caught.value.field == "markdown"
    with pytest.raises(ValidationError, match="at position 3"):
        check_text("ab\x00", "The title")


def test_request_bodies_are_read_only_through_kb_api_body() -> None:
    """Another reader (request.get_json, request.json, request.data, get_data) would bypass
    the limits; CloudEvents ingest reads raw bytes for its signature and has its own."""
    allowed = {KB / "api" / "body.py", KB / "api" / "events.py"}
    pattern = re.compile(r"request\.(get_json|json\b|data\b|get_data|stream)")
    offenders = [
        str(path.relative_to(KB))
        for path in KB.rglob("*.py")
        if path not in allowed and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("text", "blank"),
    [
        ("", True),
        (" \t\n", True),
        ("\u200b\ufeff", True),
        ("\u3000", True),
        ("a", False),
        ("\u200bx", False),
        ("\U0001f600", False),
    ],
)
def test_is_blank(text: str, blank: bool) -> None:
    assert is_blank(text) is blank
