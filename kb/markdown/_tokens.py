"""Work on markdown-it's token stream between parsing and rendering.

Everything that needs the parsed structure (heading ids, dropping the title, table alignment,
plain text) happens here so that one parse serves both the HTML and the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from markdown_it.token import Token

# Prefixed so that a heading called "Location" or "Forms" cannot clobber DOM globals
# (window.location, document.forms) through its id.
HEADING_ID_PREFIX = "s-"
_LINKABLE_HEADINGS = frozenset({"h2", "h3"})
_HEADING_ID_MAX = 60
_ALIGNMENTS = frozenset({"left", "right", "center"})
_STYLE_ALIGN = re.compile(r"^\s*text-align\s*:\s*([a-z]+)\s*;?\s*$")


def inline_text(children: Iterable[Token] | None) -> str:
    """Plain text of an inline token's children: markup dropped, link and image text kept."""
    parts: list[str] = []
    for child in children or ():
        kind = child.type
        if kind in ("text", "code_inline"):
            parts.append(child.content)
        elif kind == "softbreak":
            # A soft break is just where the author wrapped the line; it is not a new line.
            parts.append(" ")
        elif kind == "hardbreak":
            parts.append("\n")
        elif kind == "image":
            parts.append(inline_text(child.children))
    return "".join(parts)


def _normalise_title(value: str) -> str:
    return " ".join(value.split()).casefold()


def title_span(tokens: Sequence[Token], title: str) -> int:
    """Number of leading tokens forming an H1 equal to `title` (3), or 0 when there is none."""
    if len(tokens) < 3:
        return 0
    opening, inline = tokens[0], tokens[1]
    if opening.type != "heading_open" or opening.tag != "h1" or inline.type != "inline":
        return 0
    if _normalise_title(inline_text(inline.children)) != _normalise_title(title):
        return 0
    return 3


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:_HEADING_ID_MAX].rstrip("-") or "section"


def _keep_item_numbers(tokens: Sequence[Token]) -> None:
    """Markdown numbers an ordered list from its first item; an author who numbers on
    purpose (a process model's steps are numbered across roles: 1, 2, then 4, 7 under the
    next role) sees those numbers, as `<li value>`. Lists numbered "1. 1. 1." stay 1, 2, 3."""
    stack: list[list[Token]] = []
    for token in tokens:
        if token.type == "ordered_list_open":
            stack.append([])
        elif token.type == "list_item_open" and stack and token.info.isdigit():
            stack[-1].append(token)
        elif token.type == "ordered_list_close" and stack:
            items = stack.pop()
            numbers = [int(item.info) for item in items]
            increasing = all(a < b for a, b in zip(numbers, numbers[1:], strict=False))
            if increasing and numbers != list(range(numbers[0], numbers[0] + len(numbers))):
                for item, number in zip(items, numbers, strict=True):
                    item.attrs["value"] = str(number)


def prepare_for_html(tokens: Sequence[Token]) -> None:
    """Give h2/h3 headings stable ids, keep deliberate list numbers and turn table alignment
    styles into `align`.

    markdown-it writes `style="text-align:..."` on table cells; the sanitiser never lets
    `style` through, so the alignment is carried by the (allowlisted) `align` attribute.
    """
    _keep_item_numbers(tokens)
    seen: dict[str, int] = {}
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag in _LINKABLE_HEADINGS:
            inline = tokens[index + 1] if index + 1 < len(tokens) else None
            base = HEADING_ID_PREFIX + _slug(inline_text(inline.children if inline else None))
            count = seen.get(base, 0) + 1
            seen[base] = count
            token.attrs["id"] = base if count == 1 else f"{base}-{count}"
        elif token.type in ("th_open", "td_open") and "style" in token.attrs:
            style = str(token.attrs.pop("style"))
            match = _STYLE_ALIGN.match(style)
            if match and match.group(1) in _ALIGNMENTS:
                token.attrs["align"] = match.group(1)


def plain_text(tokens: Sequence[Token]) -> str:
    """Text for search and snippets: one line per block, table cells separated by tabs."""
    lines: list[str] = []
    row: list[str] | None = None
    for token in tokens:
        kind = token.type
        if kind == "tr_open":
            row = []
        elif kind == "tr_close":
            if row is not None:
                lines.append("\t".join(row))
            row = None
        elif kind == "inline":
            text = inline_text(token.children)
            if row is not None:
                row.append(text.replace("\n", " "))
            elif text.strip():
                lines.append(text)
        elif kind in ("fence", "code_block"):
            code = token.content.rstrip("\n")
            if code.strip():
                lines.append(code)
    return "\n".join(lines)
