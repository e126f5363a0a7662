"""The Whoosh schema and the mapping between IndexDoc / stored fields and Hit."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from functools import partial
from typing import Any

from whoosh import fields
from whoosh.analysis import IDTokenizer, LowercaseFilter, StandardAnalyzer, StemmingAnalyzer

from kb.search.access import group_values, owner_value, visibility_value
from kb.search.analysis import IndexedText, Words
from kb.search.records import Hit, IndexDoc

# Bump whenever the schema or the way documents are turned into fields changes:
# an index written with another version reports last_seq() None and gets rebuilt.
SCHEMA_VERSION = 2

# Single- and multi-valued fields that can be filtered on and faceted.
FACET_FIELDS: dict[str, str] = {
    "type": "type",
    "topic": "topics",
    "phase": "phase",
    "project": "project",
    "tag": "tags",
}
FILTER_FIELDS: dict[str, str] = {**FACET_FIELDS, "status": "status", "polarity": "polarity"}
MULTI_VALUED = frozenset({"topics", "tags"})

PLAIN_SNIPPET_CHARS = 200


def build_schema() -> fields.Schema:
    # One analyzer instance shared by title and body so a stemmed query term
    # means the same in both fields (ranking compares them).
    stem = StemmingAnalyzer()
    plain = StandardAnalyzer()  # the same words as `stem`, unstemmed
    # Whoosh's TEXT, but a text's words are found once for both of its fields when
    # indexing (kb.search.analysis)
    words = Words(stem, plain)
    stemmed = partial(IndexedText, words, stemmed=True, analyzer=stem)
    unstemmed = partial(IndexedText, words, stemmed=False, analyzer=plain)
    return fields.Schema(
        id=fields.ID(unique=True, stored=True),
        # Lower-cased so `type:Lesson` typed by a person still matches.
        type=fields.ID(stored=True, analyzer=IDTokenizer() | LowercaseFilter()),
        title=stemmed(stored=True, field_boost=3.0),
        summary=stemmed(stored=True, field_boost=1.5),
        body=stemmed(stored=True),
        status=fields.KEYWORD(stored=True, lowercase=True),
        project=fields.KEYWORD(stored=True, lowercase=True),
        project_name=fields.TEXT(),
        phase=fields.KEYWORD(stored=True, lowercase=True),
        topics=fields.KEYWORD(stored=True, lowercase=True, commas=True, scorable=True),
        tags=fields.KEYWORD(stored=True, lowercase=True, commas=True, scorable=True),
        polarity=fields.KEYWORD(stored=True, lowercase=True),
        priority=fields.KEYWORD(stored=True, lowercase=True),
        author=fields.TEXT(stored=True),
        date=fields.DATETIME(stored=True, sortable=True),
        updated_at=fields.DATETIME(stored=True, sortable=True),
        # Access (kb.search.access): filtered on, never stored, never named by the query
        # language (USER_FIELDS), so a typed `owner:dana` is plain text.
        visibility=fields.ID(),
        groups=fields.KEYWORD(commas=True),
        owner=fields.ID(),
        # The unstemmed words of title and body, for spelling suggestions only (never
        # searched). Not Whoosh's TEXT(spelling=True): it writes every posting of its
        # spell_* field with document number 0, so nobody can tell which documents hold a
        # word, and a suggestion must come from words the reader may see.
        spell_title=unstemmed(phrase=False),
        spell_body=unstemmed(phrase=False),
    )


def build_spelling_schema() -> fields.Schema:
    """A schema used only to parse a query for spelling correction: title and body words
    go to the unstemmed spell_title / spell_body fields, so they are kept as typed (a
    stemmed "invois" would be corrected instead of "invoise")."""
    plain = StandardAnalyzer()
    keyword = fields.KEYWORD(lowercase=True, commas=True)
    return fields.Schema(
        spell_body=fields.TEXT(analyzer=plain),
        spell_title=fields.TEXT(analyzer=plain),
        tags=keyword,
        topics=keyword,
        project=fields.KEYWORD(lowercase=True),
        phase=fields.KEYWORD(lowercase=True),
        type=fields.ID(),
        status=fields.KEYWORD(lowercase=True),
        author=fields.TEXT(),
    )


def to_naive_utc(value: datetime) -> datetime:
    # Whoosh's DATETIME subtracts datetime.min, which fails for aware values.
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _join(values: list[str]) -> str:
    # Commas separate values in a commas=True KEYWORD field, so a value must not hold one.
    cleaned = (" ".join(v.replace(",", " ").split()).lower() for v in values)
    return ",".join(v for v in cleaned if v)


def _split(stored: Any) -> list[str]:
    return [v for v in (stored or "").split(",") if v]


def doc_fields(doc: IndexDoc) -> dict[str, Any]:
    """Keyword arguments for writer.add_document / update_document."""
    values: dict[str, Any] = {
        "id": doc.id,
        "type": doc.type.lower(),
        "title": doc.title,
        "summary": doc.summary or "",
        "body": doc.body or "",
        "status": (doc.status or "").lower(),
        "topics": _join(doc.topics),
        "tags": _join(doc.tags),
        "spell_title": doc.title,
        "spell_body": doc.body or "",
        "date": to_naive_utc(doc.date),
        "updated_at": to_naive_utc(doc.updated_at),
        "visibility": visibility_value(doc.visibility),
        "groups": ",".join(group_values(doc.groups)),
    }
    optional = {
        "project": doc.project,
        "project_name": doc.project_name,
        "phase": doc.phase and doc.phase.lower(),
        "polarity": doc.polarity and doc.polarity.lower(),
        "priority": doc.priority and doc.priority.lower(),
        "author": doc.author,
        "owner": owner_value(doc.owner),
    }
    # Absent rather than empty, so a facet has no "" bucket.
    values.update({k: v for k, v in optional.items() if v})
    return values


#: a block at least this long is prose, not a heading (snippets prefer prose)
PROSE_CHARS = 60


def plain_snippet(stored: dict[str, Any]) -> str:
    """Escaped summary or start of the body, for hits with nothing to highlight. The body
    has a line per block: start at its first paragraph (headings are short), and keep
    blocks apart rather than run a heading into the text after it."""
    text = stored.get("summary") or ""
    if not text:
        start = (stored.get("body") or "")[: PLAIN_SNIPPET_CHARS * 10]  # enough, and bounded
        blocks = [" ".join(line.split()) for line in start.splitlines()]
        blocks = [b for b in blocks if b]
        first = next((i for i, b in enumerate(blocks) if len(b) >= PROSE_CHARS), 0)
        text = " · ".join(blocks[first:])
    text = " ".join(text.split())
    if len(text) > PLAIN_SNIPPET_CHARS:
        cut = text[:PLAIN_SNIPPET_CHARS].rsplit(" ", 1)[0]
        text = cut + "…"
    return html.escape(text, quote=False)


def make_hit(stored: dict[str, Any], score: float, snippet: str) -> Hit:
    date = stored.get("date") or datetime(1970, 1, 1)
    return Hit(
        id=stored["id"],
        type=stored.get("type", ""),
        title=stored.get("title", ""),
        snippet=snippet,
        score=float(score or 0.0),
        project=stored.get("project"),
        phase=stored.get("phase"),
        topics=_split(stored.get("topics")),
        tags=_split(stored.get("tags")),
        status=stored.get("status", ""),
        polarity=stored.get("polarity"),
        date=date.replace(tzinfo=UTC),
    )
