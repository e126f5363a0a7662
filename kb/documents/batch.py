"""The documents one `kb import` batch creates, written with one INSERT per table.

The ORM's unit of work cost about 1 ms per created document (a document, its revision, its
labels, an audit entry and an event: ~8 objects); the same rows as column dictionaries,
inserted with one executemany per table, cost a fraction of that. The rows are those
`services.insert_prepared` writes (the same functions build them).

Events keep the order their changes were made in: `write()` flushes the session's pending
objects (a document revised through the ORM, a project registered) before inserting the
rows gathered since, and the importer calls it before each such change.
"""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import insert
from sqlalchemy.orm import Session

from kb.accounts.models import AuditEntry
from kb.core.time import utcnow
from kb.documents import ids, services
from kb.documents.models import Document, DocumentLabel, DocumentRevision
from kb.events.log.models import Event
from kb.events.log.services import event_values, lock_log

#: every column of a document row (an INSERT of many rows needs the same keys in each)
_COLUMNS = tuple(column.key for column in Document.__table__.columns)


class NewDocuments:
    def __init__(self, s: Session, *, actor: str) -> None:
        self.s = s
        self.actor = actor
        self._rows: dict[type, list[dict]] = {
            Document: [],
            DocumentLabel: [],
            DocumentRevision: [],
            AuditEntry: [],
            Event: [],
        }
        #: counter name -> the highest number an explicit id of this batch holds
        self._reserved: dict[str, int] = {}

    def create(self, prepared: services.Prepared, *, message: str, origin: str | None) -> str:
        """Gather the rows of a new document (imported); returns its id."""
        record = prepared.record
        if record.id is None:
            self._reserve()  # the next free id counts the explicit ids reserved before it
        doc_id = services.assign_id(self.s, record, reserve=self._defer)
        now = utcnow()
        row = dict.fromkeys(_COLUMNS) | {
            "id": doc_id,
            "type": record.type,
            "version": 1,
            "created_at": now,
            "changed_at": now,
            "origin": origin,
        }
        row |= services.document_values(self.s, record, now, actor=self.actor, imported=True)
        self._rows[Document].append(row)
        self._rows[DocumentLabel] += [
            {"document_id": doc_id, "kind": kind, "value": value}
            for kind, value in sorted(services.label_keys(record))
        ]
        self._rows[DocumentRevision].append(
            services.revision_values(
                doc_id, 1, prepared, actor=self.actor, message=message, now=now
            )
        )
        entry, event = services.saved(SimpleNamespace(**row), "created", self.actor)
        self._rows[AuditEntry].append(entry)
        self._rows[Event].append(event_values(event))
        return doc_id

    def write(self) -> None:
        """Insert the rows gathered so far, after the session's pending changes."""
        self.s.flush()
        self._reserve()
        for model, rows in self._rows.items():
            if rows:
                if model is Event:
                    lock_log(self.s)
                self.s.execute(insert(model.__table__), rows)
                rows.clear()

    def _defer(self, s: Session, doc_id: str) -> None:
        name, number = doc_id.rsplit("-", 1)
        self._reserved[name] = max(int(number), self._reserved.get(name, 0))

    def _reserve(self) -> None:
        for name, number in self._reserved.items():
            ids.reserve_counter(self.s, name, number)
        self._reserved.clear()
