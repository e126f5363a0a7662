"""The glossary as the linker uses it: the published terms a reader may read.

Each page render asks the database which published terms the reader may read and at which
version (one small query, with the access rule as SQL); the linker built for exactly that set
is kept, so a new or changed term applies at once and nothing is parsed twice.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Select, select

from kb.accounts.viewer import Viewer
from kb.core.lru import LruCache
from kb.db import Database
from kb.documents import access
from kb.documents.models import Document
from kb.markdown.glossary import Entry, Linker

#: linkers kept per database (a few audiences: everyone, and each group that has its terms)
KEPT = 16
_lock = threading.Lock()
_linkers: weakref.WeakKeyDictionary[Database, LruCache[Linker]] = weakref.WeakKeyDictionary()
#: linked pages kept: (id of the linker, document id, its HTML) -> (the linker, linked HTML)
LINKED = 512
_linked: LruCache[tuple[Linker, str]] = LruCache(LINKED)
#: statements kept, one per audience (kb.search.records.Reader: the access rule's inputs)
QUERIES = 256
_queries: LruCache[Select] = LruCache(QUERIES)


@dataclass(frozen=True)
class Term:
    id: str
    title: str
    aliases: tuple[str, ...]
    summary: str


def _published_terms(viewer: Viewer):  # noqa: ANN202
    return select(Document).where(
        Document.type == "term", Document.status == "published", access.readable(viewer)
    )


def readable_terms(db: Database, viewer: Viewer) -> list[Term]:
    """The published terms `viewer` may read, A to Z."""
    with db.read() as s:
        docs = s.scalars(_published_terms(viewer).order_by(Document.title)).all()
        return [
            Term(d.id, d.title, tuple((d.extra or {}).get("aliases", [])), d.summary or "")
            for d in docs
        ]


def _versions_query(viewer: Viewer) -> Select:
    """(id, version) of the published terms `viewer` may read: the statement is kept per what
    the access rule depends on (kb.documents.access.reader), as building it cost more than
    running it."""
    audience = access.reader(viewer)
    query = _queries.get(audience)
    if query is None:
        query = _published_terms(viewer).with_only_columns(Document.id, Document.version)
        _queries.put(audience, query)
    return query


def linker(db: Database, viewer: Viewer, href: Callable[[str], str]) -> Linker:
    """The linker for the terms `viewer` may read, as they are now."""
    with db.read() as s:
        # plain tuples: a key of Rows was compared in Python, Row by Row, on every lookup;
        # through the connection: the ORM's handling of a statement doubled its cost
        key = frozenset(map(tuple, s.connection().execute(_versions_query(viewer))))
    with _lock:
        kept = _linkers.setdefault(db, LruCache(KEPT))
    built = kept.get(key)
    if built is None:
        built = Linker(
            Entry((t.title, *t.aliases), href(t.id), t.summary or t.title)
            for t in readable_terms(db, viewer)
        )
        kept.put(key, built)
    return built


def link_terms(
    db: Database, viewer: Viewer, html: str, href: Callable[[str], str], *, own: str
) -> str:
    """`html` (a sanitised render) with the first use of each term linked, except to the
    document itself (`own`: its id). The answer is kept per linker (which is per set of
    terms and versions the viewer may read), document and HTML: a warm page neither
    links nor sanitises again, and what one reader's terms produced is never another's
    unless they may read the same terms."""
    built = linker(db, viewer, href)
    key = (id(built), own, html)
    kept = _linked.get(key)
    if kept is not None and kept[0] is built:
        return kept[1]
    mine = built
    if any(href(own) == entry.href for entry in built.entries):
        mine = Linker(e for e in built.entries if e.href != href(own))
    linked = mine.link(html)
    _linked.put(key, (built, linked))  # the linker itself: an id is reused once it is gone
    return linked
