"""GET /api/inbox and marking read: the caller's own notifications only (another user's id
is a 404, like one that does not exist)."""

from __future__ import annotations

from kb.api import bp, openapi
from kb.context import current
from kb.core.time import iso
from kb.notifications import services as inbox
from kb.notifications.models import Notification
from kb.params import FLAGS, flag_arg, page_arg, per_page_arg
from kb.security import viewer


def notification_json(n: Notification) -> dict:
    return {"id": n.id, "kind": n.kind, "title": n.title, "body": n.body, "link": n.link,
            "event_seq": n.event_seq, "created_at": iso(n.created_at),
            "read_at": iso(n.read_at), "is_read": n.read_at is not None}  # fmt: skip


@bp.get("/inbox")
def get_inbox():
    unread_only = flag_arg("unread")
    page = inbox.list_inbox(current().db, viewer().username, unread_only=unread_only,
                            page=page_arg(), per_page=per_page_arg(20))  # fmt: skip
    return {"unread": page.unread, "total": page.total, "page": page.page,
            "per_page": page.per_page, "pages": page.pages,
            "items": [notification_json(n) for n in page.items]}  # fmt: skip


@bp.post("/inbox/<seq:notification_id>/read")
def mark_notification_read(notification_id: int):
    who = viewer()
    row = inbox.mark_read(current().db, notification_id, username=who.username,
                          read_only=who.read_only)  # fmt: skip
    return notification_json(row)


@bp.post("/inbox/read")
def mark_inbox_read():
    who = viewer()
    count = inbox.mark_all_read(current().db, username=who.username, read_only=who.read_only)
    return {"marked": count, "unread": 0}


_NOTIFICATION = {"type": "object", "required": ["id", "kind", "title", "is_read"], "properties": {
    "id": {"type": "integer"},
    "kind": {"type": "string", "description": "the event's type after org.pmo.kb., e.g. lesson.published"},
    "title": {"type": "string"}, "body": {"type": "string"},
    "link": {"type": ["string", "null"], "description": "the page to act on, a path such as /lessons/LL-2025-0007"},
    "event_seq": {"type": "integer"}, "created_at": {"type": "string", "format": "date-time"},
    "read_at": {"type": ["string", "null"], "format": "date-time"}, "is_read": {"type": "boolean"}}}  # fmt: skip
_JSON = "application/json"
openapi.EXTRA_PATHS["/api/inbox"] = {"get": {
    "summary": "Your notifications, newest first, with the number unread",
    "parameters": [{"name": "unread", "in": "query", "schema": {"enum": list(FLAGS)},
                    "description": "1: only the unread ones"}, *openapi.PAGING],
    "responses": {"200": {"description": "OK", "content": {_JSON: {"schema": {"type": "object", "properties": {
        "unread": {"type": "integer"}, "total": {"type": "integer"}, "page": {"type": "integer"},
        "per_page": {"type": "integer"}, "pages": {"type": "integer"},
        "items": {"type": "array", "items": _NOTIFICATION}}}}}},
        "400": {"description": "Invalid page", "content": {_JSON: {"schema": openapi.ERROR}}}},
}}  # fmt: skip
openapi.EXTRA_PATHS["/api/inbox/{notification_id}/read"] = {"post": {
    "summary": "Mark one of your notifications read",
    "parameters": [{"name": "notification_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
    "responses": {"200": {"description": "Marked read", "content": {_JSON: {"schema": _NOTIFICATION}}},
                  "403": {"description": "A read-only token", "content": {_JSON: {"schema": openapi.ERROR}}},
                  "404": {"description": "Not in your inbox", "content": {_JSON: {"schema": openapi.ERROR}}}},
}}  # fmt: skip
openapi.EXTRA_PATHS["/api/inbox/read"] = {"post": {
    "summary": "Mark all your notifications read",
    "responses": {"200": {"description": "How many were unread", "content": {_JSON: {"schema": {
        "type": "object", "properties": {"marked": {"type": "integer"}, "unread": {"type": "integer"}}}}}},
        "403": {"description": "A read-only token", "content": {_JSON: {"schema": openapi.ERROR}}}},
}}  # fmt: skip
