"""The PMO's task list: GET /api/tasks (?kind=, ?status=), POST /api/tasks/<id>/done."""

from __future__ import annotations

from flask import request

from kb.api import bp, openapi
from kb.api.body import read_json
from kb.context import current
from kb.core.errors import ValidationError
from kb.security import viewer
from kb.tasks import services as tasks


@bp.get("/tasks")
def list_tasks():
    kind = request.args.get("kind") or None
    status = request.args.get("status") or "open"
    found = tasks.list_tasks(current().db, kind=kind, status=None if status == "all" else status)
    return {"tasks": [tasks.task_json(t) for t in found]}


@bp.post("/tasks/<int:task_id>/done")
def complete_task(task_id: int):
    body = read_json(request)
    if body is not None and not isinstance(body, dict):
        raise ValidationError('Send a JSON object, e.g. {"note": "Owner confirmed"}, or nothing.')
    task = tasks.complete_task(
        current().db, task_id, viewer=viewer(), note=(body or {}).get("note")
    )
    return tasks.task_json(task)


_TASK = {"type": "object", "required": ["id", "kind", "subject", "status"], "properties": {
    "id": {"type": "integer"},
    "kind": {"type": "string", "description": "confirm_bau_owner, verify_lesson, revalidate_lesson, ..."},
    "subject": {"type": "string", "description": "what it is about, e.g. lessons/LL-2025-0007 or processes/PM-0005"},
    "assignee": {"type": "string"}, "status": {"enum": list(tasks.STATUSES)},
    "created_at": {"type": "string", "format": "date-time"},
    "details": {"type": "object", "description": "id, title, project, and what the kind needs (process_id, version, audit, owner...)"},
    "done_at": {"type": ["string", "null"], "format": "date-time"},
    "done_by": {"type": ["string", "null"]}, "note": {"type": ["string", "null"]}}}  # fmt: skip
_ERR = {"content": {"application/json": {"schema": openapi.ERROR}}}
openapi.EXTRA_PATHS["/api/tasks"] = {"get": {
    "summary": "The PMO's tasks, oldest first (curators)",
    "parameters": [
        {"name": "kind", "in": "query", "schema": {"type": "string", "pattern": tasks.KIND_PATTERN}, "description": "one kind only, e.g. revalidate_lesson"},
        {"name": "status", "in": "query", "schema": {"enum": ["open", "done", "all"]}, "description": "default open"}],
    "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"tasks": {"type": "array", "items": _TASK}}}}}},
                  "400": {"description": "Not a kind or status", **_ERR}},
}}  # fmt: skip
openapi.EXTRA_PATHS["/api/tasks/{task_id}/done"] = {"post": {
    "summary": "Mark a task done, with an optional note (curators); records who and when",
    "parameters": [{"name": "task_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
    "requestBody": {"required": False, "content": {"application/json": {"schema": {
        "type": "object", "properties": {"note": {"type": "string", "maxLength": tasks.MAX_NOTE}}}}}},
    "responses": {"200": {"description": "Done", "content": {"application/json": {"schema": _TASK}}},
                  "400": {"description": "Not a valid note", **_ERR},
                  "403": {"description": "Not a curator", **_ERR},
                  "404": {"description": "No such task", **_ERR},
                  "409": {"description": "Done already", **_ERR}},
}}  # fmt: skip
