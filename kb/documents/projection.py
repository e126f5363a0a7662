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

from pydantic import ValidationError
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from kb.core.attributes import alike
from kb.db import Database
from kb.documents.models import Document, DocumentRevision
from kb.events import kinds
from kb.events.kinds import KB_TYPE_PREFIX
from kb.events.kinds.documents import DocumentSaved, LessonTransitioned
from kb.events.kinds.processes import ProcessModelStep
from kb.events.kinds.projects import ProjectEvent
from kb.events.log.models import Event
from kb.events.log.services import last_seq
from kb.projects.models import Project
from kb.search import IndexDoc, SearchIndex

log = logging.getLogger(__name__)
#: kb's events that change what is indexed: a document's revision, a project's name
_CHANGING = (DocumentSaved, LessonTransitioned, ProcessModelStep, ProjectEvent)
#: the revision readers see: a process model's published one while its next version is
#: drafted and reviewed (kb.processes.governance), otherwise the current one
_SHOWN = and_(
    DocumentRevision.document_id == Document.id,
    DocumentRevision.number == func.coalesce(Document.published_revision, Document.version),
)
BATCH = 2000
#: more unapplied events than this: rebuild rather than update document by document
REBUILD_BEYOND = 5000


def _as_datetime(d) -> datetime:  # noqa: ANN001
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _index_docs(s: Session, query) -> Iterator[IndexDoc]:  # noqa: ANN001
    rows = s.execute(
        query.join(DocumentRevision, _SHOWN)
        .outerjoin(Project, Project.key == Document.project_key)
        .add_columns(DocumentRevision.text, Project.name)
        .execution_options(yield_per=500)
    )
    for doc, body, project_name in rows:
        if doc.type == "term" and (aliases := (doc.extra or {}).get("aliases")):
            body = f"{', '.join(aliases)}\n\n{body}"  # found by any of its names
        when = doc.sort_date
        updated = doc.updated_at if doc.updated_at.tzinfo else doc.updated_at.replace(tzinfo=UTC)
        yield IndexDoc(
            **alike(doc, "id type title phase topics tags polarity priority author"),
            summary=doc.summary or "",
            body=body,
            status=doc.status if doc.published_revision in (None, doc.version) else "published",
            project=doc.project_key,
            project_name=project_name,
            date=_as_datetime(when) if when else _own(doc.changed_at) or updated,
            updated_at=updated,
            **alike(doc, "visibility groups"),
            owner=doc.created_by,
        )


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
            with self.db.read() as s:  # one query per idle look: it looks twice a second
                behind = last_seq(s) - (seen or 0)
                far_behind = seen is None or (applied == 0 and behind > REBUILD_BEYOND)
                events = (
                    []
                    if far_behind or behind <= 0
                    else s.execute(
                        select(Event.seq, Event.type, Event.data)
                        .where(Event.seq > seen)
                        .order_by(Event.seq)
                        .limit(BATCH)
                    ).all()
                )
                ids = set(self._affected(s, events))
                docs = select(Document).where(Document.id.in_(ids))
                upserts = list(_index_docs(s, docs)) if ids else []
            if far_behind:
                self.rebuild(processes=processes)
                return applied
            if not events:
                return applied
            deletes = ids - {d.id for d in upserts}
            self.index.apply(upserts, deletes, events[-1].seq)
            applied += len(events)

    def follow(self) -> int:
        """catch_up() when this process is its host's follower of the index folder, else
        nothing: one follower per folder (SearchIndex.is_follower), however many processes
        serve from it."""
        return self.catch_up() if self.index.is_follower() else 0

    @staticmethod
    def _affected(s: Session, events: Iterable) -> Iterator[str]:  # noqa: ANN001
        """The documents to index again: those a revision changed, those of a changed project
        (its name is indexed with them). Other events change no document."""
        for seq, type_, data in events:
            if not type_.startswith(KB_TYPE_PREFIX + "."):
                continue  # a project tool's event: kb's own events tell what it changed
            try:
                cls = kinds.of_type(type_.removeprefix(KB_TYPE_PREFIX + "."), data)
                if not issubclass(cls, _CHANGING):  # read only the events that change documents
                    continue
                event = cls.from_data(data)
            except (KeyError, ValidationError):
                log.warning("event %s does not fit the class of %s: not indexed", seq, type_)
                continue
            if isinstance(event, ProjectEvent):
                yield from s.scalars(select(Document.id).where(Document.project_key == event.key))
            elif isinstance(event, DocumentSaved | LessonTransitioned | ProcessModelStep):
                yield event.id

    def lag(self) -> int | None:
        seen = self.index.last_seq()
        with self.db.read() as s:
            newest = last_seq(s)
        return None if seen is None else max(0, newest - seen)
