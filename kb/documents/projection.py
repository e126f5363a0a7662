"""The search index as a projection of the event log.

The index records the last event sequence number it applied. `catch_up()` reads newer events,
reloads the documents they name from the database (the source of truth) and hands them to the
search facade. A fresh or outdated index folder is rebuilt from the documents table. Applying
an event twice is harmless (update by unique id), so a crash between the index commit and
recording the sequence number only means a little work is redone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.db import Database
from kb.documents.models import Document, DocumentRevision
from kb.events.log.models import Event
from kb.events.log.services import last_seq
from kb.projects.models import Project
from kb.search import IndexDoc, SearchIndex

log = logging.getLogger(__name__)
BATCH = 2000
#: more unapplied events than this: rebuild rather than update document by document
REBUILD_BEYOND = 5000


def _as_datetime(d) -> datetime:  # noqa: ANN001
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _index_docs(s: Session, query) -> Iterator[IndexDoc]:  # noqa: ANN001
    rows = s.execute(
        query.join(
            DocumentRevision,
            (DocumentRevision.document_id == Document.id)
            & (DocumentRevision.number == Document.version),
        )
        .outerjoin(Project, Project.key == Document.project_key)
        .add_columns(DocumentRevision.text, Project.name)
        .execution_options(yield_per=500)
    )
    for doc, body, project_name in rows:
        when = doc.sort_date
        updated = doc.updated_at if doc.updated_at.tzinfo else doc.updated_at.replace(tzinfo=UTC)
        yield IndexDoc(
            id=doc.id, type=doc.type, title=doc.title, summary=doc.summary or "", body=body,
            status=doc.status, project=doc.project_key, project_name=project_name,
            phase=doc.phase, topics=doc.topics, tags=doc.tags, polarity=doc.polarity,
            priority=doc.priority, author=doc.author,
            date=_as_datetime(when) if when else _own(doc.changed_at) or updated,
            updated_at=updated,
            visibility=doc.visibility, groups=doc.groups, owner=doc.created_by,
        )  # fmt: skip


def _own(moment):  # noqa: ANN001, ANN202 (a person's last change, aware UTC, or None)
    return moment.replace(tzinfo=UTC) if moment and not moment.tzinfo else moment


class IndexProjection:
    def __init__(self, db: Database, index: SearchIndex):
        self.db = db
        self.index = index

    def rebuild(self, progress: Callable[[int], None] | None = None, *, processes: int = 1) -> int:
        with self.db.read() as s:
            upto = last_seq(s)  # read first: later events are replayed by catch_up
            docs = _index_docs(s, select(Document))
            return self.index.rebuild(docs, upto, progress, processes=processes)

    def catch_up(self, *, processes: int = 1) -> int:
        """Apply every event the index has not seen; returns how many were applied.

        A fresh folder, or one far behind (a bulk import), is rebuilt instead: adding
        documents in one pass is several times faster than updating them one by one.
        """
        applied = 0
        while True:
            seen = self.index.last_seq()
            if seen is None or (applied == 0 and self._behind(seen) > REBUILD_BEYOND):
                self.rebuild(processes=processes)
                return applied
            with self.db.read() as s:
                events = s.execute(
                    select(Event.seq, Event.type, Event.data)
                    .where(Event.seq > seen)
                    .order_by(Event.seq)
                    .limit(BATCH)
                ).all()
                if not events:
                    return applied
                ids = set(self._affected(s, events))
                upserts = list(_index_docs(s, select(Document).where(Document.id.in_(ids))))
            deletes = ids - {d.id for d in upserts}
            self.index.apply(upserts, deletes, events[-1].seq)
            applied += len(events)

    def follow(self) -> int:
        """catch_up() when this process is its host's follower of the index folder, else
        nothing: one follower per folder (SearchIndex.is_follower), however many processes
        serve from it."""
        return self.catch_up() if self.index.is_follower() else 0

    def _behind(self, seen: int) -> int:
        with self.db.read() as s:
            return last_seq(s) - seen

    @staticmethod
    def _affected(s: Session, events: Iterable) -> Iterator[str]:  # noqa: ANN001
        for _seq, type_, data in events:
            data = data or {}
            if ".project." in type_ and data.get("key"):
                yield from s.scalars(select(Document.id).where(Document.project_key == data["key"]))
            elif type_.startswith("org.pmo.kb.") and isinstance(data.get("id"), str):
                # document events name a document id; others (review.opened: a review's
                # number, lesson.action.added: an action's) carry ids of their own
                yield data["id"]

    def lag(self) -> int | None:
        seen = self.index.last_seq()
        with self.db.read() as s:
            newest = last_seq(s)
        return None if seen is None else max(0, newest - seen)
