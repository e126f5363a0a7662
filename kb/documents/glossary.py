"""The glossary as the linker uses it: the published terms a reader may read.

Each page render asks the database which published terms the reader may read and at which
version (one small query, with the access rule as SQL); the linker built for exactly that set
is kept, so a new or changed term applies at once and nothing is parsed twice.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Select, select

from kb.accounts.viewer import Viewer
from kb.db import Database
from kb.documents import access
from kb.documents.models import Document
from kb.markdown.glossary import Entry, Linker
from kb.search.records import Reader

#: linkers kept per database (a few audiences: everyone, and each group that has its terms)
KEPT = 16
_lock = threading.Lock()
_linkers: weakref.WeakKeyDictionary[Database, OrderedDict[frozenset, Linker]] = (
    weakref.WeakKeyDictionary()
)
#: linked pages kept: (id of the linker, document id, its HTML) -> (the linker, linked HTML)
LINKED = 512
_linked: OrderedDict[tuple[int, str, str], tuple[Linker, str]] = OrderedDict()
#: statements kept, one per audience (kb.search.records.Reader: the access rule's inputs)
QUERIES = 256
_queries: OrderedDict[Reader, Select] = OrderedDict()


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
    with _lock:
        kept = _queries.get(audience)
        if kept is not None:
            _queries.move_to_end(audience)
            return kept
    query = _published_terms(viewer).with_only_columns(Document.id, Document.version)
    with _lock:
        _queries[audience] = query
        while len(_queries) > QUERIES:
            _queries.popitem(last=False)
    return query


def linker(db: Database, viewer: Viewer, href: Callable[[str], str]) -> Linker:
    """The linker for the terms `viewer` may read, as they are now."""
    with db.read() as s:
        key = frozenset(s.execute(_versions_query(viewer)).all())
    with _lock:
        kept = _linkers.setdefault(db, OrderedDict())
        found = kept.get(key)
        if found is not None:
            kept.move_to_end(key)
            return found
    built = Linker(
        Entry((t.title, *t.aliases), href(t.id), t.summary or t.title)
        for t in readable_terms(db, viewer)
    )
    with _lock:
        kept[key] = built
        while len(kept) > KEPT:
            kept.popitem(last=False)
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
    with _lock:
        kept = _linked.get(key)
        if kept is not None and kept[0] is built:
            _linked.move_to_end(key)
            return kept[1]
    mine = built
    if any(href(own) == entry.href for entry in built.entries):
        mine = Linker(e for e in built.entries if e.href != href(own))
    linked = mine.link(html)
    with _lock:
        _linked[key] = (built, linked)  # the linker itself: an id is reused once it is gone
        while len(_linked) > LINKED:
            _linked.popitem(last=False)
    return linked
