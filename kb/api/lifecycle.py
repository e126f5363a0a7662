"""POST /api/lessons/<id>/transitions: move a lesson through its lifecycle (GET
/api/lessons/<id> lists the `transitions` the caller may make: kb.api.documents)."""

from __future__ import annotations

from flask import request

from kb.api import bp, openapi
from kb.api.body import read_object
from kb.api.documents import full
from kb.context import current
from kb.core.errors import ValidationError
from kb.documents import lifecycle
from kb.security import viewer


def _optional_str(body: dict, key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise ValidationError(f"`{key}` must be a string.", field=key)
    return value


@bp.post("/lessons/<doc_id>/transitions")
def lesson_transition(doc_id: str):
    body = read_object(request)
    to = body.get("to")
    if not isinstance(to, str) or not to:
        raise ValidationError("Say which status to move to: `to`.", field="to")
    version = body.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise ValidationError("`version` must be a whole number.", field="version")
    doc = lifecycle.transition_lesson(
        current().db, doc_id, to, viewer=viewer(), reason=_optional_str(body, "reason"),
        merged_into=_optional_str(body, "merged_into"), base_version=version,
    )  # fmt: skip
    out = full(doc)
    out["transitions"] = lifecycle.allowed_transitions(viewer(), doc)
    return out


_STATUSES = list(lifecycle.TRANSITIONS)
openapi.EXTRA_PATHS["/api/lessons/{doc_id}/transitions"] = {"post": {
    "summary": "Move a lesson to another status (submit, review, publish, reject, …)",
    "description": "Writes a new revision with the new `status:` in its front matter and emits "
                   "`org.pmo.kb.lesson.<verb>`. Who may: see docs/events.md. A reason is "
                   "required to reject, reopen and verify (the evidence); `merged_into` to merge.",
    "parameters": [{"name": "doc_id", "in": "path", "required": True, "schema": {"type": "string"}}],
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["to"], "properties": {
            "to": {"enum": _STATUSES},
            "reason": {"type": "string", "maxLength": 2000},
            "merged_into": {"type": "string", "description": "id of the lesson this one is merged into"},
            "version": {"type": "integer", "description": "the version you saw; 409 if it changed"},
        }}}}},
    "responses": {
        "200": {"description": "The lesson after the transition, with `transitions` (what may come next)",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Document"}}}},
        "400": {"description": "Not a next status (details.allowed lists them) or a missing reason",
                "content": {"application/json": {"schema": openapi.ERROR}}},
        "403": {"description": "Not yours to do", "content": {"application/json": {"schema": openapi.ERROR}}},
        "404": {"description": "Not found", "content": {"application/json": {"schema": openapi.ERROR}}},
        "409": {"description": "The lesson changed meanwhile",
                "content": {"application/json": {"schema": openapi.ERROR}}},
    },
}}  # fmt: skip
openapi.SCHEMAS["Document"]["properties"].setdefault("transitions", {
    "type": "array", "items": {"enum": _STATUSES},
    "description": "lessons: the statuses the caller may move it to now",
})  # fmt: skip
_SIMILAR = {"type": "object", "properties": {
    "id": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "string"},
    "project": {"type": "string", "nullable": True},
    "score": {"type": "number", "minimum": 0, "maximum": 1},
}}  # fmt: skip
_DOC_PROPS = openapi.SCHEMAS["Document"]["properties"]
_DOC_PROPS.setdefault("similar", {
    "type": "array", "items": _SIMILAR,
    "description": "lessons, for their author and curators: possible duplicates (similarity "
                   "0..1 at least the threshold), best first",
})  # fmt: skip
_DOC_PROPS.setdefault("recurrence_count", {
    "type": "integer", "description": "lessons: how many times its problem recurred in a later "
                                      "lesson of another project",
})  # fmt: skip
_DOC_PROPS.setdefault("recurrences", {
    "type": "array", "description": "lessons: recurrences both ways (recurred_in: a later lesson "
                                    "where its problem came back; recurrence_of: the older one)",
    "items": {"type": "object", "properties": {
        **_SIMILAR["properties"], "direction": {"enum": ["recurred_in", "recurrence_of"]},
        "detected_at": {"type": "string", "format": "date-time"},
    }},
})  # fmt: skip
_DOC_PROPS.setdefault("related", {
    "type": "array", "description": "lessons: related documents (as on the page)",
    "items": {"type": "object", "properties": {
        **_SIMILAR["properties"], "type": {"type": "string"}, "score": {"type": "number"},
    }},
})  # fmt: skip
