"""GET /api/events: the event log with the state of each event's handlers (for admins:
access rules arrive with accounts)."""

from __future__ import annotations

from flask import request

from kb.api import bp, openapi
from kb.context import current
from kb.events.jobs import admin
from kb.params import SEQ_MAX, int_arg


def event_json(view: admin.EventView) -> dict:
    e = view.event
    return {
        "seq": e.seq, "id": e.event_id, "source": e.source, "type": e.type,
        "subject": e.subject, "time": e.time.isoformat(), "data": e.data,
        "status": view.status,
        "runs": [{"handler": r.handler, "status": r.status, "attempts": r.attempts,
                  "next_attempt_at": r.next_attempt_at.isoformat() if r.status == "pending" else None,
                  "last_error": r.last_error} for r in view.runs],
    }  # fmt: skip


@bp.get("/events")
def list_events():
    views = admin.list_events(
        current().db, type=request.args.get("type") or None,
        status=request.args.get("status") or None, before=int_arg("before", 0, maximum=SEQ_MAX) or None,
        limit=int_arg("limit", 50, minimum=1, maximum=500),
    )  # fmt: skip
    return {"events": [event_json(v) for v in views]}


@bp.get("/events/<seq:seq>")
def get_event(seq: int):
    return event_json(admin.get_event(current().db, seq))


_EVENT = {"type": "object", "properties": {
    "seq": {"type": "integer"}, "id": {"type": "string"}, "source": {"type": "string"},
    "type": {"type": "string"}, "status": {"enum": list(admin.STATUSES)},
    "runs": {"type": "array", "items": {"type": "object"}}}}  # fmt: skip
openapi.EXTRA_PATHS.setdefault("/api/events", {})["get"] = {
    "summary": "The event log, newest first, with the state of each event's handler runs",
    "parameters": [
        {"name": "type", "in": "query", "schema": {"type": "string"}},
        {"name": "status", "in": "query", "schema": {"enum": list(admin.STATUSES)}},
        {"name": "before", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": SEQ_MAX}, "description": "page backwards: events with a lower seq"},
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
    ],
    "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"events": {"type": "array", "items": _EVENT}}}}}},
        "400": {"description": "Invalid parameter", "content": {"application/json": {"schema": openapi.ERROR}}}},
}  # fmt: skip
openapi.EXTRA_PATHS["/api/events/{seq}"] = {"get": {
    "summary": "One event with its data and handler runs",
    "parameters": [{"name": "seq", "in": "path", "required": True, "schema": {"type": "integer"}}],
    "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": _EVENT}}},
                  "404": {"description": "Not found"}},
}}  # fmt: skip
