"""Plain data that crosses the search facade: no Whoosh type ever leaves kb.search."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from kb.core.errors import ValidationError


@dataclass
class IndexDoc:
    """One document as the projection hands it to the index."""

    id: str
    type: str
    title: str
    summary: str
    body: str
    status: str
    project: str | None
    project_name: str | None
    phase: str | None
    topics: list[str]
    tags: list[str]
    polarity: str | None
    priority: str | None
    author: str | None
    date: datetime
    updated_at: datetime
    # Who may read it (kb.search.access): "internal" = every signed-in user; anything
    # else is treated as "restricted" to `groups` (case-insensitive names), plus `owner`
    # (the author's username) and readers with all_access.
    visibility: str = "internal"
    groups: list[str] = field(default_factory=list)
    owner: str | None = None


@dataclass(frozen=True)
class Reader:
    """Whose search this is. SearchIndex.query / more_like take one; None there means
    trusted internal code that sees everything."""

    all_access: bool = False  # curators and admins: no restriction
    username: str | None = None  # None = anonymous: internal documents only
    groups: frozenset[str] = frozenset()


@dataclass
class Hit:
    id: str
    type: str
    title: str
    snippet: str  # safe HTML: escaped text, <mark> around matches
    score: float
    project: str | None
    phase: str | None
    topics: list[str]
    tags: list[str]
    status: str
    polarity: str | None
    date: datetime  # aware UTC


@dataclass
class SearchResults:
    query: str
    total: int
    page: int
    per_page: int
    pages: int
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    suggestion: str | None = None
    sort: str = "relevance"


class QueryError(ValidationError, code="invalid_query"):
    """The user's search cannot be run; the message is shown to them as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="q")


class IndexUnavailable(Exception):  # noqa: N818 - reads as what happened
    """The index folder cannot be read (removed, damaged, unreadable): the index is a
    rebuildable cache, so callers that can do without it say so and go on."""
