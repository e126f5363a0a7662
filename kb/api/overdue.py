"""Lists across lessons and projects: GET /api/actions (?status=open|closed|overdue|any,
?owner=, ?mine=) and GET /api/reviews (?overdue=) — what is overdue, for scripts and chat."""

from __future__ import annotations

from flask import request

from kb.actions import services as actions
from kb.api import bp, openapi
from kb.api.documents import action_out
from kb.context import current
from kb.core.errors import ValidationError
from kb.core.time import utcnow
from kb.overdue import services as overdue
from kb.params import choice_arg, flag_arg
from kb.reviews.services import review_json
from kb.security import viewer

STATUSES = ("open", "closed", "overdue", "any")


@bp.get("/actions")
def list_actions():
    status = choice_arg("status", STATUSES, "open")
    owner = (request.args.get("owner") or "").strip() or None
    if flag_arg("mine"):
        if viewer().is_anonymous:
            raise ValidationError("`mine` needs a signed-in user or a token.", field="mine")
        owner = viewer().username
    rows = overdue.list_actions(current().db, viewer(), today=utcnow().date(),
                                overdue=status == "overdue", owner=owner,
                                status="any" if status == "overdue" else status)  # fmt: skip
    return {"actions": [{**action_out(r.action, actions.may_close(viewer(), r.action)), "lesson_title": r.lesson.title,
                         "project": r.lesson.project_key} for r in rows]}  # fmt: skip


@bp.get("/reviews")
def list_reviews():
    today = utcnow().date()
    found = overdue.list_reviews(current().db, today=today, overdue=flag_arg("overdue"))
    return {"reviews": [{**review_json(r), "status": r.status,
                         "overdue_since": r.due_on.isoformat() if overdue.review_overdue(r, today) else None}
                        for r in found]}  # fmt: skip


_ERR = {"content": {"application/json": {"schema": openapi.ERROR}}}
_ROW = {
    "allOf": [
        {"$ref": "#/components/schemas/Action"},
        {
            "type": "object",
            "properties": {
                "lesson_title": {"type": "string"},
                "project": {"type": ["string", "null"]},
            },
        },
    ]
}
_REVIEW = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "project": {"type": "string"},
        "due_on": {"type": "string", "format": "date"},
        "facilitator": {"type": ["string", "null"]},
        "status": {"enum": ["open"]},
        "overdue_since": {"type": ["string", "null"], "format": "date"},
    },
}
openapi.EXTRA_PATHS["/api/actions"] = {"get": {
    "summary": "Actions of the lessons you may read, soonest due first",
    "parameters": [
        {"name": "status", "in": "query", "schema": {"enum": list(STATUSES)},
         "description": "default open; overdue: open and past the due date"},
        {"name": "owner", "in": "query", "schema": {"type": "string", "maxLength": 120}},
        {"name": "mine", "in": "query", "schema": {"type": "boolean"}, "description": "only the caller's"}],
    "responses": {"200": {"description": "The actions", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"actions": {"type": "array", "items": _ROW}}}}}},
                  "400": {"description": "Not a status", **_ERR}},
}}  # fmt: skip
openapi.EXTRA_PATHS["/api/reviews"] = {"get": {
    "summary": "Open lessons reviews, soonest due first",
    "parameters": [{"name": "overdue", "in": "query", "schema": {"type": "boolean"},
                    "description": "only those past their due date"}],
    "responses": {"200": {"description": "The reviews", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"reviews": {"type": "array", "items": _REVIEW}}}}}},
                  "400": {"description": "Not true or false", **_ERR}},
}}  # fmt: skip
