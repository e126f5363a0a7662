"""The search index as a projection of the event log.

The index records the last event sequence number it applied. `catch_up()` reads newer events,
reloads the documents they name from the database (the source of truth) and hands them to the
search facade. A fresh or outdated index folder is rebuilt from the documents table. Applying
an event twice is harmless (update by unique id), so a crash between the index commit and
recording the sequence number only means a little work is redone.

Two writers may feed one folder: the host's follower (kb.search.store.FollowerRole) and a
`kb import`, which indexes what it imports itself, in processes of its own. Each writes what it
read only if no other has recorded a last_seq since it read (SearchIndex.apply's `after`, or
the writer lock held throughout for a bulk writer); otherwise it reads again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
#: more unapplied events than this: apply them in one writer, committed once
BULK_BEYOND = 5000


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


@dataclass
class _Changes:
    upserts: list[IndexDoc]
    deletes: set[str]
    last_seq: int
    events: int


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

        A fresh folder (or one of an older schema) is rebuilt. One far behind (a bulk import
        by another process) gets the new events in one writer committed once: adding them
        in one pass is several times faster than committing batch after batch, and unlike a
        rebuild it costs what changed, not what the database holds.
        """
        applied = 0
        while True:
            seen = self.index.last_seq()
            changes = None
            with self.db.read() as s:  # one query per idle look: it looks twice a second
                newest = last_seq(s)
                behind = newest - (seen or 0)
                far_behind = seen is not None and applied == 0 and behind > BULK_BEYOND
                if seen is not None and not far_behind and behind > 0:
                    changes = self._changes(s, seen)
            if seen is None:
                self.rebuild(processes=processes)
                return applied
            if far_behind:
                with self._bulk(processes) as follow:
                    return follow()
            if changes is None:
                return applied
            if not self.index.apply(changes.upserts, changes.deletes, changes.last_seq, after=seen):
                continue  # another writer (a kb import) committed since: read again
            applied += changes.events
            if changes.last_seq >= newest:
                # all there was when it looked: no second look (a read, the meta file); a
                # commit since then has woken the loop, which looks again
                return applied

    @contextmanager
    def bulk(self, *, processes: int = 1) -> Iterator[Callable[[], int]]:
        """For a bulk import: yields `follow`, to call after each database batch commits; it
        feeds the log's new events (the import's and anyone else's) into one index writer,
        committed once when the block ends. Searches see the import when it is complete (a
        running kb's too: its follower waits for the writer lock meanwhile); the index is never
        rebuilt for it, so the time grows with what is imported, not with what the database
        already holds."""
        self.catch_up(processes=processes)  # a fresh folder is built first
        with self._bulk(processes) as follow:
            yield follow

    @contextmanager
    def _bulk(self, processes: int) -> Iterator[Callable[[], int]]:
        applied = 0
        with self.index.bulk(processes=processes) as writer:
            # read holding the writer lock: what another writer committed is not done again
            seen = writer.last_seq = self.index.last_seq() or 0

            def follow() -> int:
                nonlocal seen, applied
                while True:
                    with self.db.read() as s:
                        changes = self._changes(s, seen)
                    if changes is None:
                        return applied
                    writer.apply(changes.upserts, changes.deletes)
                    seen = writer.last_seq = changes.last_seq
                    applied += changes.events

            yield follow
            follow()
        self._again(writer.again)

    def _again(self, ids: set[str]) -> None:
        """Apply the documents changed twice in a bulk writer's time, their latest state (read
        again when another writer committed between the read and the write)."""
        while ids and (seen := self.index.last_seq()) is not None:
            with self.db.read() as s:
                upserts = list(_index_docs(s, select(Document).where(Document.id.in_(ids))))
            if self.index.apply(upserts, ids - {d.id for d in upserts}, seen, after=seen):
                return

    def _changes(self, s: Session, seen: int) -> _Changes | None:
        """What the next events after `seen` (at most BATCH) change; None when none."""
        events = s.execute(
            select(Event.seq, Event.type, Event.data)
            .where(Event.seq > seen)
            .order_by(Event.seq)
            .limit(BATCH)
        ).all()
        if not events:
            return None
        ids = set(self._affected(s, events))
        upserts = list(_index_docs(s, select(Document).where(Document.id.in_(ids)))) if ids else []
        return _Changes(upserts, ids - {d.id for d in upserts}, events[-1].seq, len(events))

    def follow(self) -> int:
        """catch_up() when this process is its host's follower of the index folder, else
        nothing: one follower per folder (SearchIndex.is_follower), however many processes
        serve from it."""
        return self.catch_up() if self.index.is_follower() else 0

    def step(self) -> bool:
        """The follower loop's step (kb.context): follow(), then "nothing more at once".
        catch_up() returns when it has applied all there was when it looked, and a commit
        since has woken the loop: the look that followed every step that applied something
        found nothing (half the follower's looks while events come one at a time). A look
        that finds nothing merges the index's small segments, when a while has passed since
        its last commit (SearchIndex.tidy): no change waits for a merge to become visible."""
        if not self.follow():
            self.index.tidy()
        return False

    @staticmethod
    def _affected(s: Session, events: Iterable) -> Iterator[str]:  # noqa: ANN001
        """The documents to index again: those a revision changed, those of a changed project
        (its name is indexed with them; one query for all the projects of the batch: a
        query per project event was a fifth of the CPU of a worker draining project events).
        Other events change no document."""
        projects: set[str] = set()
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
                projects.add(event.key)
            elif isinstance(event, DocumentSaved | LessonTransitioned | ProcessModelStep):
                yield event.id
        if projects:
            yield from s.scalars(select(Document.id).where(Document.project_key.in_(projects)))

    def lag(self) -> int | None:
        seen = self.index.last_seq()
        with self.db.read() as s:
            newest = last_seq(s)
        return None if seen is None else max(0, newest - seen)
