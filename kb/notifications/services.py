"""The inbox: writing notifications for an event (the transactional handler), reading one's
own, and marking them read. A user only ever sees and marks their own: someone else's
notification is "not found", like one that does not exist."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ScalarSelect, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kb.accounts.services import audit
from kb.core.errors import Forbidden, NotFound, ValidationError
from kb.core.time import utcnow
from kb.db import Database
from kb.events.log.models import Event
from kb.notifications.models import Notification
from kb.notifications.recipients import recipients

MAX_PER_PAGE = 100


def insert_ignoring_duplicates(s: Session, model: type, **values) -> int:
    """INSERT ... ON CONFLICT DO NOTHING: a unique key, not a check-then-insert, keeps one."""
    dialect = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
    result = s.execute(dialect.insert(model).values(**values).on_conflict_do_nothing())
    return result.rowcount or 0


def write_inbox(s: Session, event: Event) -> int:
    """Add the event's notifications to their users' inboxes, inside the caller's transaction;
    returns how many were added. Idempotent: the unique key (user, event, kind) keeps one."""
    added = 0
    for message in recipients(s, event):
        if message.username is not None:
            added += insert_ignoring_duplicates(
                s,
                Notification,
                username=message.username,
                kind=message.kind,
                title=message.title,
                body=message.body,
                link=message.link,
                event_seq=event.seq,
                created_at=utcnow(),
            )
    return added


@dataclass
class InboxPage:
    items: list[Notification]
    total: int
    unread: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def unread_of(username: object) -> ScalarSelect:
    """One COUNT, the number in the header: as a value in a query, for `username` (a name or
    a column, e.g. users.username to read it with the user)."""
    return (
        select(func.count())
        .select_from(Notification)
        .where(Notification.username == username, Notification.read_at.is_(None))
        .scalar_subquery()
    )


def unread_count(db: Database, username: str) -> int:
    with db.read() as s:
        return s.scalar(select(unread_of(username))) or 0


def list_inbox(
    db: Database, username: str, *, unread_only: bool = False, page: int = 1, per_page: int = 20
) -> InboxPage:
    """The user's notifications, newest first."""
    if page < 1:
        raise ValidationError("Page numbers start at 1.", field="page")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationError(f"`per_page` must be between 1 and {MAX_PER_PAGE}.", field="per_page")
    mine = Notification.username == username
    unread = Notification.read_at.is_(None)
    where = (mine, unread) if unread_only else (mine,)
    with db.read() as s:
        total = s.scalar(select(func.count()).select_from(Notification).where(*where)) or 0
        unread_total = (
            total
            if unread_only
            else s.scalar(select(func.count()).select_from(Notification).where(mine, unread)) or 0
        )
        items = list(
            s.scalars(
                select(Notification)
                .where(*where)
                .order_by(Notification.id.desc())
                .offset((page - 1) * per_page)
                .limit(per_page)
            )
        )
    return InboxPage(items, total, unread_total, page, per_page)


def _may_mark(username: str | None, read_only: bool) -> str:
    if not username:
        raise Forbidden("Sign in to use your inbox.")
    if read_only:
        raise Forbidden("A read-only token cannot mark notifications read.")
    return username


def mark_read(
    db: Database, notification_id: int, *, username: str | None, read_only: bool = False
) -> Notification:
    """Mark one of the user's notifications read (marking it again changes nothing)."""
    username = _may_mark(username, read_only)
    with db.write() as s:
        row = s.get(Notification, notification_id, with_for_update=True)
        if row is None or row.username != username:
            raise NotFound(f"There is no notification {notification_id} in your inbox.")
        if row.read_at is None:
            row.read_at = utcnow()
            audit(s, username, "inbox.read", f"notifications/{row.id}")
        s.flush()
    return row


def mark_all_read(db: Database, *, username: str | None, read_only: bool = False) -> int:
    """Mark every unread notification of the user read; returns how many there were."""
    username = _may_mark(username, read_only)
    with db.write() as s:
        result = s.execute(
            update(Notification)
            .where(Notification.username == username, Notification.read_at.is_(None))
            .values(read_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        count = result.rowcount or 0
        if count:
            audit(s, username, "inbox.read_all", None, count=count)
    return count
