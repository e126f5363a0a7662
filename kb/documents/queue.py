"""The curator's queue: lessons waiting for someone, oldest first, with since when and for
whom."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from kb.accounts.models import AuditEntry
from kb.accounts.viewer import Viewer
from kb.core.time import utcnow
from kb.db import Database
from kb.documents import access
from kb.documents.lifecycle import VERBS
from kb.documents.models import Document

#: status -> who it waits for, and what they do next
WAITING_FOR = {
    "submitted": "a curator to triage it",
    "in_review": "a curator to publish or reject it",
    "reopened": "a curator to review it again",
    "in_action": "its actions to be completed",
}
#: lessons in action show up only after this long
STALE_ACTION = timedelta(days=30)


@dataclass
class QueueItem:
    doc: Document
    #: when it entered its status; None: imported in it without a date of its own
    since: datetime | None
    submitted_by: str | None
    waiting_for: str

    def waited(self, now: datetime) -> timedelta | None:
        return now - self.since if self.since else None


def queue(db: Database, viewer: Viewer, *, now: datetime | None = None) -> list[QueueItem]:
    """Lessons waiting for someone, oldest first: submitted, in review, reopened, and in action
    for over 30 days; `since` is when the lesson entered that status: its audit entry, or
    for a lesson imported in that status the day a person last changed it (the file's
    `updated:`), never the import itself."""
    now = now or utcnow()
    query = select(Document).where(
        Document.type == "lesson",
        Document.status.in_(list(WAITING_FOR)),
        access.readable(viewer),
    )
    items = []
    with db.read() as s:
        for doc in s.scalars(query):
            entered = s.scalar(
                select(AuditEntry.at)
                .where(
                    AuditEntry.action == f"lesson.{VERBS[doc.status]}", AuditEntry.target == doc.id
                )
                .order_by(AuditEntry.id.desc())
                .limit(1)
            )
            submitter = s.scalar(
                select(AuditEntry.actor)
                .where(AuditEntry.action == "lesson.submitted", AuditEntry.target == doc.id)
                .order_by(AuditEntry.id.desc())
                .limit(1)
            )
            when = entered or doc.changed_at
            since = _aware(when) if when else None
            if doc.status == "in_action" and since and now - since < STALE_ACTION:
                continue
            items.append(
                QueueItem(
                    doc, since, submitter or doc.created_by or doc.author, WAITING_FOR[doc.status]
                )
            )
    # those imported without a date first: they have waited longest for all anyone knows
    items.sort(key=lambda item: (item.since is not None, item.since or now, item.doc.id))
    return items


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
