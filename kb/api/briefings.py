"""GET /api/projects/<key>/briefings and POST /api/briefings/<id>/responses: the lessons kb
pushed to a project manager at the start and at every gate, and their answers."""

from __future__ import annotations

from flask import request

from kb.api import bp, openapi
from kb.api.body import read_object
from kb.briefings import services as briefings
from kb.briefings.models import RESPONSES, Briefing, BriefingItem
from kb.context import current
from kb.core.errors import Forbidden, NotFound
from kb.core.time import iso
from kb.security import viewer


def item_json(item: BriefingItem, title: str) -> dict:
    return {"lesson": item.lesson_id, "title": title, "rank": item.rank, "reason": item.reason,
            "response": item.response, "responded_by": item.responded_by,
            "responded_at": iso(item.responded_at)}  # fmt: skip


def briefing_json(briefing: Briefing, docs: dict) -> dict:
    """The briefing with only the lessons the caller may read."""
    return {"id": briefing.id, "project": briefing.project_key, "trigger": briefing.trigger,
            "phase": briefing.phase, "created_at": iso(briefing.created_at),
            "recipient": briefing.recipient, "words": list(briefing.words or []),
            "lessons": [item_json(i, docs[i.lesson_id].title) for i in briefing.items
                        if i.lesson_id in docs]}  # fmt: skip


@bp.get("/projects/<key>/briefings")
def list_project_briefings(key: str):
    db, who = current().db, viewer()
    found = briefings.list_briefings(db, key)
    ids = sorted({i.lesson_id for b in found for i in b.items})
    docs = briefings.readable_lessons(db, ids, who)
    return {"project": key.upper(), "briefings": [briefing_json(b, docs) for b in found]}


@bp.post("/briefings/<int:briefing_id>/responses")
def respond_to_briefing(briefing_id: int):
    db, who = current().db, viewer()
    briefing = briefings.get_briefing(db, briefing_id)
    if briefing is None:
        raise NotFound(f"No briefing {briefing_id}.")
    if not briefings.may_respond(who, briefing):
        raise Forbidden("Only a contributor or the briefing's project manager may answer it.")
    body = read_object(request, '{"lesson": id, "response": ...}')
    item = briefings.respond(db, briefing_id, body.get("lesson"), body.get("response"), who)
    docs = briefings.readable_lessons(db, [item.lesson_id], who)
    return item_json(item, docs[item.lesson_id].title if item.lesson_id in docs else "")


_ITEM = {"type": "object", "required": ["lesson", "reason"], "properties": {
    "lesson": {"type": "string"}, "title": {"type": "string"}, "rank": {"type": "integer"},
    "reason": {"type": "string", "description": "Why kb chose this lesson, in plain language"},
    "response": {"enum": [*RESPONSES, None]}, "responded_by": {"type": ["string", "null"]},
    "responded_at": {"type": ["string", "null"], "format": "date-time"}}}  # fmt: skip
_BRIEFING = {"type": "object", "required": ["id", "project", "trigger", "lessons"], "properties": {
    "id": {"type": "integer"}, "project": {"type": "string"},
    "trigger": {"type": "string", "description": "started, or gate:<gate id>"},
    "phase": {"type": ["string", "null"]}, "created_at": {"type": "string", "format": "date-time"},
    "recipient": {"type": ["string", "null"]}, "words": {"type": "array", "items": {"type": "string"}},
    "lessons": {"type": "array", "items": _ITEM}}}  # fmt: skip
_ID = {"name": "briefing_id", "in": "path", "required": True, "schema": {"type": "integer"}}
openapi.EXTRA_PATHS["/api/projects/{key}/briefings"] = {"get": {
    "summary": "The project's briefings (at its start and every gate), with only the lessons you may read",
    "parameters": [{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}],
    "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"project": {"type": "string"},
                                         "briefings": {"type": "array", "items": _BRIEFING}}}}}}},
}}  # fmt: skip
openapi.EXTRA_PATHS["/api/briefings/{briefing_id}/responses"] = {"post": {
    "summary": "Answer for one lesson of a briefing: applies, not applicable or action taken "
               "(contributors, or the briefing's project manager)",
    "parameters": [_ID],
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["lesson", "response"],
        "properties": {"lesson": {"type": "string"}, "response": {"enum": list(RESPONSES)}}}}}},
    "responses": {"200": {"description": "Recorded", "content": {"application/json": {"schema": _ITEM}}},
                  "400": {"description": "Not a valid answer", "content": {"application/json": {"schema": openapi.ERROR}}},
                  "403": {"description": "Not yours to answer", "content": {"application/json": {"schema": openapi.ERROR}}},
                  "404": {"description": "No such briefing or lesson in it", "content": {"application/json": {"schema": openapi.ERROR}}}},
}}  # fmt: skip
