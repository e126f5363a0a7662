"""The characters kb accepts in text people send: one rule for files, forms, JSON and URLs.

Refused everywhere: NUL, lone surrogates (half of a UTF-16 pair: they cannot be encoded as
UTF-8, so every later step would fail) and the other control characters, C0 and C1, except
tab, line feed and carriage return. None of them is typed on purpose; NUL is also refused by
PostgreSQL. Refusing, not stripping, keeps what is stored byte for byte what was sent (import
and export round-trip) and the message says where the character is so it can be removed.
Single-line fields (titles, names) additionally collapse whitespace (see
`kb.documents.records.clean_text`) and may not be blank (`is_blank`). The one exception: text
kb composes from other systems' data (an audit finding becoming a draft lesson) has these
characters removed (`without_bad_characters`), since nobody is there to correct it.

Where the rule is applied: kb.core.jsonbody (every string of a JSON body), kb.inputs (path,
query parameters, form fields), kb.documents.records (Markdown sources, front matter values).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from kb.core.errors import ValidationError

#: said after the character in every message
RULE = "kb accepts no NUL, lone surrogate or control character other than tab and line breaks"
_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
BAD_CHARACTER = re.compile(f"[{_CONTROLS}\ud800-\udfff]")
#: the rule for the OpenAPI document (kb.api.textrule), as a JSON Schema pattern. Lone
#: surrogates are left out: they are not Unicode characters, so a pattern cannot name them
#: (regex engines refuse them) and a conforming client cannot send one.
TEXT_PATTERN = f"^[^{_CONTROLS}]*$"


def describe(char: str) -> str:
    """`U+0007`, `U+0000 (NUL)`, `U+D800 (a lone surrogate)` — for messages."""
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return f"U+{code:04X} (a lone surrogate, half of a broken character)"
    name = {0: "NUL", 7: "BEL", 8: "backspace", 0x0C: "form feed", 0x1B: "escape"}.get(code)
    if name is None:
        name = unicodedata.name(char, "a control character")
    return f"U+{code:04X} ({name})"


def bad_character(value: str) -> tuple[int, str] | None:
    """(offset, character) of the first character kb refuses in `value`, or None."""
    found = BAD_CHARACTER.search(value)
    return (found.start(), found.group()) if found else None


def bad_character_in(value: Any) -> tuple[str, str] | None:
    """(where, character) of the first refused character in any string of a JSON-like value
    (dict keys included); `where` is a path such as `a.b[1]`, "" for the value itself."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:  # no recursion: the value may be deep
        item, path = stack.pop()
        if isinstance(item, str):
            found = bad_character(item)
            if found is not None:
                return path, found[1]
        elif isinstance(item, dict):
            for key in item:  # keys first: they become part of the paths
                if isinstance(key, str) and (found := bad_character(key)) is not None:
                    return path, found[1]
            stack.extend(
                (member, f"{path}.{key}" if path else str(key)) for key, member in item.items()
            )
        elif isinstance(item, list | tuple):
            stack.extend((member, f"{path}[{i}]") for i, member in enumerate(item))
    return None


def is_blank(value: str) -> bool:
    """Nothing a person can see: only spaces, line breaks, invisible format characters
    (zero-width space, BOM, direction marks) or control characters. Such a title or name is
    as good as absent."""
    return all(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in value)


def without_bad_characters(value: str) -> str:
    """`value` minus the refused characters: for text kb composes from other systems' data
    (events), where nobody is there to correct it."""
    return BAD_CHARACTER.sub("", value)


def check_text(value: str, what: str, *, field: str | None = None) -> str:
    """`value` unchanged, or a ValidationError naming `what`, the line and the character."""
    found = bad_character(value)
    if found is None:
        return value
    offset, char = found
    line = value.count("\n", 0, offset) + 1
    column = offset - (value.rfind("\n", 0, offset) + 1) + 1
    where = f" on line {line}, column {column}" if "\n" in value else f" at position {column}"
    raise ValidationError(
        f"{what} contains the character {describe(char)}{where}: {RULE}. Remove it and try again.",
        field=field,
    )
