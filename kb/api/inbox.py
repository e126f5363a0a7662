"""GET /api/inbox and marking read: the caller's own notifications only (another user's id
is a 404, like one that does not exist)."""

from __future__ import annotations

from kb.access_rules import USER, needs
from kb.api import bp
from kb.api.models.inbox import Inbox, InboxItem, InboxQuery, Marked
from kb.api.spec import contract, parsed_query
from kb.context import current
from kb.notifications import services as inbox
from kb.params import FLAGS
from kb.security import viewer


@bp.get("/inbox")
@contract(ok=(200, Inbox), query=InboxQuery)
@needs(USER)
def get_inbox():
    """Your notifications, newest first, with the number unread"""
    query = parsed_query()
    page = inbox.list_inbox(
        current().db,
        viewer().username,
        unread_only=FLAGS[query.unread],
        page=query.page,
        per_page=query.per_page,
    )
    return Inbox(
        unread=page.unread,
        total=page.total,
        page=page.page,
        per_page=page.per_page,
        pages=page.pages,
        items=[InboxItem.of(n) for n in page.items],
    )


@bp.post("/inbox/<seq:notification_id>/read")
@contract(ok=(200, InboxItem), HTTP_404="Not in your inbox")
@needs(USER)
def mark_notification_read(notification_id: int):
    """Mark one of your notifications read"""
    who = viewer()
    row = inbox.mark_read(
        current().db, notification_id, username=who.username, read_only=who.read_only
    )
    return InboxItem.of(row)


@bp.post("/inbox/read")
@contract(ok=(200, Marked))
@needs(USER)
def mark_inbox_read():
    """Mark all your notifications read"""
    who = viewer()
    count = inbox.mark_all_read(current().db, username=who.username, read_only=who.read_only)
    return Marked(marked=count, unread=0)
