"""Glossary links in rendered HTML: the first use of each term (or one of its aliases) in a
document becomes a link to the term's entry.

Runs on HTML that `render` already sanitised, at the time a page is shown, so that a new
glossary entry applies to every document without editing it. Text inside links, code, and
headings is never linked; the result goes through the same allowlist as every render.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from kb.markdown.sanitize import clean

#: text inside these elements is left alone
_SKIPPED = frozenset({"a", "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6"})
_TAG = re.compile(r"(<[^>]*>)")
_TAG_NAME = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9]+)")
#: a name matches as a whole word: not inside a longer word, number or hyphenated word
_BEFORE, _AFTER = r"(?<![\w-])", r"(?![\w-])"


@dataclass(frozen=True)
class Entry:
    """One glossary term as the linker needs it."""

    names: tuple[str, ...]  # the term first, then its aliases
    href: str
    title: str  # the short definition, shown when pointing at the link


def _pattern(name: str) -> str:
    """Matches `name` as it appears in escaped HTML text; spaces match any run of spaces.
    A name written in capitals (PMO, RAID) matches only in capitals: "raid" is not RAID;
    another name also in its plural ("risks", "stage gates")."""
    words = [re.escape(html.escape(word, quote=False)) for word in name.split()]
    body = r"\s+".join(words)
    return body if name.isupper() else f"(?i:{body}(?:e?s)?)"


class Linker:
    """Links the first use of each entry's names; built once per glossary and reader."""

    def __init__(self, entries: Iterable[Entry]):
        self.entries = list(entries)
        self._owner: dict[str, int] = {}
        alternatives: list[tuple[str, str]] = []
        for number, entry in enumerate(self.entries):
            for name in entry.names:
                key = self._key(name)
                if name.strip() and key not in self._owner:
                    self._owner[key] = number
                    alternatives.append((name, _pattern(name)))
        # the longest name first, so "RAID log" wins over "RAID"
        alternatives.sort(key=lambda pair: -len(pair[0]))
        self._regex = (
            re.compile(_BEFORE + "(" + "|".join(p for _, p in alternatives) + ")" + _AFTER)
            if alternatives
            else None
        )

    @staticmethod
    def _key(text: str) -> str:
        return " ".join(html.unescape(text).split()).casefold()

    def link(self, sanitised_html: str) -> str:
        """`sanitised_html` with the first use of each term linked, sanitised again."""
        if self._regex is None or not sanitised_html:
            return sanitised_html
        used: set[int] = set()
        skipping: list[str] = []
        out: list[str] = []
        for part in _TAG.split(sanitised_html):
            if part.startswith("<"):
                self._follow(part, skipping)
                out.append(part)
            elif part and not skipping:
                out.append(self._regex.sub(lambda m: self._replace(m, used), part))
            else:
                out.append(part)
        return clean("".join(out)) if used else sanitised_html

    @staticmethod
    def _follow(tag: str, skipping: list[str]) -> None:
        found = _TAG_NAME.match(tag)
        if not found or found.group(2).lower() not in _SKIPPED:
            return
        name = found.group(2).lower()
        if not found.group(1):
            skipping.append(name)
        elif name in skipping:
            del skipping[len(skipping) - 1 - skipping[::-1].index(name)]

    def _replace(self, match: re.Match, used: set[int]) -> str:
        key = self._key(match.group(1))
        number = next((self._owner[k] for k in (key, key[:-1], key[:-2]) if k in self._owner), None)
        if number is None or number in used:
            return match.group(0)
        used.add(number)
        entry = self.entries[number]
        title = html.escape(entry.title, quote=True)
        return (
            f'<a href="{html.escape(entry.href, quote=True)}" title="{title}">{match.group(0)}</a>'
        )
