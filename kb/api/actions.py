"""A lesson's actions: GET/POST /api/lessons/<id>/actions, POST /api/actions/<id>/close
(GET /api/lessons/<id> lists them too: kb.api.documents)."""

from __future__ import annotations

from flask import request

from kb.actions import services as actions
from kb.actions.models import TARGET_KINDS
from kb.api import bp, openapi
from kb.api.body import read_json, read_object
from kb.api.documents import action_out
from kb.context import current
from kb.core.errors import ValidationError
from kb.security import viewer


def _out(action) -> dict:  # noqa: ANN001
    return action_out(action, actions.may_close(viewer(), action))


@bp.get("/lessons/<doc_id>/actions")
def list_lesson_actions(doc_id: str):
    return {
        "actions": [_out(a) for a in actions.list_actions(current().db, doc_id, viewer=viewer())]
    }


@bp.post("/lessons/<doc_id>/actions")
def add_lesson_action(doc_id: str):
    body = read_object(request)
    db = current().db
    if body.get("no_action"):
        action = actions.no_action(db, doc_id, viewer=viewer(), rationale=body.get("rationale"))
    else:
        action = actions.add_action(
            db, doc_id, viewer=viewer(), description=body.get("description"),
            owner=body.get("owner"), due_on=body.get("due_on"),
            target_kind=body.get("target_kind"), target_ref=body.get("target_ref"),
        )  # fmt: skip
    return _out(action), 201


@bp.post("/actions/<int:action_id>/close")
def close_action(action_id: int):
    body = read_json(request)
    if body is not None and not isinstance(body, dict):
        raise ValidationError("Send a JSON object (Content-Type: application/json) or nothing.")
    note = (body or {}).get("note")
    action = actions.close_action(current().db, action_id, viewer=viewer(), note=note)
    return _out(action)


_ERR = {"content": {"application/json": {"schema": openapi.ERROR}}}
_ACTION = {"type": "object", "properties": {
    "id": {"type": "integer"}, "lesson": {"type": "string"}, "description": {"type": "string"},
    "owner": {"type": "string"}, "due_on": {"type": ["string", "null"], "format": "date"},
    "target_kind": {"enum": list(TARGET_KINDS)}, "target_ref": {"type": ["string", "null"]},
    "status": {"enum": ["open", "closed"]}, "created_by": {"type": "string"},
    "created_at": {"type": "string", "format": "date-time"},
    "closed_by": {"type": ["string", "null"]},
    "closed_at": {"type": ["string", "null"], "format": "date-time"},
    "closing_note": {"type": ["string", "null"]},
    "may_close": {"type": "boolean", "description": "whether the caller may close it"},
}}  # fmt: skip
openapi.SCHEMAS.setdefault("Action", _ACTION)
_REF = {"$ref": "#/components/schemas/Action"}
_PATH_ID = [{"name": "doc_id", "in": "path", "required": True, "schema": {"type": "string"}}]
openapi.EXTRA_PATHS["/api/lessons/{doc_id}/actions"] = {
    "get": {
        "summary": "A lesson's actions, oldest first",
        "parameters": _PATH_ID,
        "responses": {
            "200": {"description": "The actions", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"actions": {"type": "array", "items": _REF}}}}}},
            "404": {"description": "Not found", **_ERR},
        },
    },
    "post": {
        "summary": "Add an action to a published or in-action lesson (curators), or record that it needs none",
        "description": "Emits `org.pmo.kb.lesson.action.added`. The first action on a published lesson "
                       "moves it to in_action. `{\"no_action\": true, \"rationale\": ...}` records a "
                       "closed action of kind `none` and moves the lesson to actioned.",
        "parameters": _PATH_ID,
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "properties": {
                "description": {"type": "string", "maxLength": 2000},
                "owner": {"type": "string", "maxLength": 120},
                "due_on": {"type": "string", "format": "date"},
                "target_kind": {"enum": [k for k in TARGET_KINDS if k != "none"]},
                "target_ref": {"type": "string", "description": "a process model id (must exist) or a link"},
                "no_action": {"type": "boolean"},
                "rationale": {"type": "string", "maxLength": 2000},
            }}}}},
        "responses": {
            "201": {"description": "The action", "content": {"application/json": {"schema": _REF}}},
            "400": {"description": "A missing or invalid field, or a lesson that takes no actions", **_ERR},
            "403": {"description": "Not a curator", **_ERR},
            "404": {"description": "Not found", **_ERR},
            "409": {"description": "Open actions remain (no_action)", **_ERR},
        },
    },
}  # fmt: skip
openapi.EXTRA_PATHS["/api/actions/{action_id}/close"] = {"post": {
    "summary": "Close an action (curators, or the action's owner)",
    "description": "Emits `org.pmo.kb.lesson.action.closed`; when the lesson's last open action "
                   "closes, an in-action lesson becomes actioned.",
    "parameters": [{"name": "action_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
    "requestBody": {"required": False, "content": {"application/json": {"schema": {
        "type": "object", "properties": {"note": {"type": "string", "maxLength": 2000}}}}}},
    "responses": {
        "200": {"description": "The closed action", "content": {"application/json": {"schema": _REF}}},
        "400": {"description": "Not a JSON object", **_ERR},
        "403": {"description": "Not yours to close", **_ERR},
        "404": {"description": "Not found", **_ERR},
        "409": {"description": "Already closed", **_ERR},
    },
}}  # fmt: skip
openapi.SCHEMAS["Document"]["properties"].setdefault("actions", {
    "type": "array", "items": _REF, "description": "lessons: their actions",
})  # fmt: skip
