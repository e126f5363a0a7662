"""Strict, bounded JSON: what kb accepts as a JSON request body.

`json.loads` alone accepts NaN and Infinity (which PostgreSQL's JSON type refuses), a member
name twice in one object (the last wins, silently), integers of thousands of digits (Python
raises ValueError past 4,300), strings holding NUL or lone
surrogates (`"\\ud800"`: unencodable, so a 500 later) and nesting until RecursionError. Here
the size and the depth are checked before parsing (a scan of the brackets, no recursion) and
every string, key or value, is checked against `kb.core.text` after it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from kb.core.errors import TooLarge, ValidationError
from kb.core.text import RULE, bad_character_in, describe

#: nesting of arrays and objects; no kb request needs more than 4
MAX_DEPTH = 32
#: the app-wide request limit (MAX_CONTENT_LENGTH) is the same: a 1 MiB document fits
MAX_BYTES = 2 * 1024 * 1024
#: integers longer than this are refused (no kb field needs one; Python's own limit is 4,300)
MAX_INT_DIGITS = 40

# A string (skipped as a whole, so brackets inside it do not count; an unclosed one runs to
# the end, which keeps the scan linear) or a bracket.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)|[\[\]{}]', re.S)


class InvalidJSON(ValidationError, code="invalid_json"):
    """A body that is not JSON kb reads (syntax, depth, duplicate members, NaN)."""


def depth_of(text: str, limit: int) -> int:
    """The deepest nesting in `text`, counting up to limit + 1 (then it stops)."""
    depth = deepest = 0
    for token in _TOKENS.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif char in "]}":
            depth -= 1
    return deepest


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"a number has {len(text.lstrip('-')):,} digits; at most {MAX_INT_DIGITS}")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {text[:20]} is too large")
    return value


def _object(pairs: list[tuple[str, Any]]) -> dict:
    # the last of two equal names would win silently; which one the sender meant is unknown
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        twice = next(name for name, _ in pairs if name in seen or seen.add(name))
        raise ValueError(f"the member name {json.dumps(twice)[:60]} appears twice in one object")
    return found


def _constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON value")


def parse_json(
    raw: bytes,
    *,
    max_depth: int = MAX_DEPTH,
    max_bytes: int = MAX_BYTES,
    what: str = "The request body",
) -> Any:
    """The JSON value in `raw` (UTF-8), or InvalidJSON (400) / TooLarge (413) saying why."""
    if len(raw) > max_bytes:
        raise TooLarge(f"{what} is {len(raw):,} bytes; at most {max_bytes:,} are accepted.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidJSON(f"{what} is not valid UTF-8 (byte {exc.start}).") from None
    if depth_of(text, max_depth) > max_depth:
        raise InvalidJSON(f"{what} is nested more than {max_depth} levels deep.")
    try:
        value = json.loads(
            text,
            parse_int=_int,
            parse_float=_float,
            parse_constant=_constant,
            object_pairs_hook=_object,
        )
    except json.JSONDecodeError as exc:
        raise InvalidJSON(
            f"{what} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from None
    except (ValueError, RecursionError) as exc:  # the hooks above; recursion cannot happen
        raise InvalidJSON(f"{what} is not acceptable JSON: {str(exc)[:160]}.") from None
    _check_strings(value, what)
    return value


def _check_strings(value: Any, what: str) -> None:
    found = bad_character_in(value)
    if found is not None:
        path, char = found
        at = f" at `{path}`" if path else ""
        raise InvalidJSON(
            f"{what} holds the character {describe(char)}{at}: {RULE}.",
            field=path.split(".", 1)[0].split("[", 1)[0] or None,
        )
