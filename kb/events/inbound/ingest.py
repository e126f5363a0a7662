"""Store received CloudEvents in the log: checked first, then all in one transaction.

Deduplication is the database's unique key on (source, event_id), written with
`INSERT ... ON CONFLICT DO NOTHING`: a check-then-insert loses under concurrent redelivery
(two deliveries both see no row; docs/events.md: the deduplication key). A duplicate is answered like a new event, with the seq it was stored under.
No handler runs here: the worker follows the log.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, bindparam, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from kb.core.time import utcnow
from kb.db import Database
from kb.events.inbound import catalogue
from kb.events.inbound.cloudevents import MAX_LENGTH, CloudEvent
from kb.events.inbound.producers import Sender, touch
from kb.events.log.models import Event
from kb.events.log.services import KB_SOURCE, KB_TYPE_PREFIX, lock_log

#: keys per SELECT of events stored before (SQLite allows 32,766 bound parameters)
CHUNK = 200


@dataclass(frozen=True)
class Accepted:
    id: str
    source: str
    seq: int
    duplicate: bool
    #: a type kb does not know: stored, acted on by nobody
    ignored: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "seq": self.seq,
            "duplicate": self.duplicate,
            "ignored": self.ignored,
        }


def check_events(events: Sequence[CloudEvent], prefix: str) -> list[dict]:
    """Validate each event's data against the catalogue; the rows to insert, in order.

    Raises InvalidEvent naming the event (in a batch), and the field, at the first problem.
    """
    rows = []
    received = utcnow()
    for event in events:
        if event.source == KB_SOURCE or event.type.startswith(KB_TYPE_PREFIX + "."):
            raise event.problem(
                f"source {KB_SOURCE} and types {KB_TYPE_PREFIX}.* are kb's own events; "
                "a producer cannot send them.",
                field="source" if event.source == KB_SOURCE else "type",
            )
        short = catalogue.inbound_type(event.type, prefix)
        if short is not None:
            problem = catalogue.data_problem(short, event.data)
            if problem is not None:
                path, message = problem
                raise event.problem(message, field=path)
        rows.append(
            {
                "source": event.source,
                "event_id": event.id,
                "type": event.type,
                "subject": event.subject,
                "time": event.time or received,
                "data": event.data_json,
                "partition_key": _partition_key(event, short),
                "received_at": received,
                "attributes": json.dumps(event.attributes, separators=(",", ":")),
                "is_ignored": short is None,
            }
        )
    return rows


def _partition_key(event: CloudEvent, short: str | None) -> str | None:
    given = event.attributes.get("partitionkey")
    if given is not None and not isinstance(given, bool):
        return str(given)[: MAX_LENGTH["partitionkey"]]
    return catalogue.project_key(event.data) if short is not None else None


def ingest(
    db: Database, events: Sequence[CloudEvent], *, producer: Sender | None, prefix: str
) -> list[Accepted]:
    """Check, then store `events` all together (or none): one answer per event, in order."""
    rows = check_events(events, prefix)
    with db.write() as s:
        lock_log(s)
        seqs = store_rows(s, rows, producer_id=producer.id if producer else None)
        if producer is not None:
            touch(s, producer)
    return [
        Accepted(r["event_id"], r["source"], seqs[i][0], seqs[i][1], r["is_ignored"])
        for i, r in enumerate(rows)
    ]


class _JsonText(TypeDecorator):
    """A JSON column's value given as its JSON text, stored as it is: the data was serialised
    once already, to check it (cloudevents.check_data)."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None


#: INSERT ... ON CONFLICT DO NOTHING RETURNING, built once per dialect and executed on the
#: table (Core), not through the ORM's bulk insert: executemany sends it as multi-row VALUES
#: ("insertmanyvalues"). The ORM path cost as much again per request as the INSERT itself.
_INSERT = {
    name: dialect.insert(Event.__table__)
    .values(
        data=bindparam("data", type_=_JsonText()),
        attributes=bindparam("attributes", type_=_JsonText()),
    )
    .on_conflict_do_nothing(index_elements=["source", "event_id"])
    .returning(Event.source, Event.event_id, Event.seq)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def store_rows(s: Session, rows: list[dict], *, producer_id: int | None) -> list[tuple[int, bool]]:
    """Insert rows not stored before; (seq, duplicate) for each row. Call lock_log first."""
    first: dict[tuple[str, str], int] = {}  # key -> index of its first row in this request
    fresh = []
    for i, row in enumerate(rows):
        key = (row["source"], row["event_id"])
        if key not in first:
            first[key] = i
            fresh.append({**row, "producer_id": producer_id})
    stored: dict[tuple[str, str], int] = {}
    if fresh:
        stmt = _INSERT[s.get_bind().dialect.name]
        stored.update({(src, eid): seq for src, eid, seq in s.connection().execute(stmt, fresh)})
    earlier = [k for k in first if k not in stored]
    for start in range(0, len(earlier), CHUNK):
        chunk = earlier[start : start + CHUNK]
        query = select(Event.source, Event.event_id, Event.seq).where(
            tuple_(Event.source, Event.event_id).in_(chunk)
        )
        stored.update({(src, eid): seq for src, eid, seq in s.execute(query)})
    old = set(earlier)
    out = []
    for i, row in enumerate(rows):
        key = (row["source"], row["event_id"])
        out.append((stored[key], first[key] != i or key in old))
    return out
