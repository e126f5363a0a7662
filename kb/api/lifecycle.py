"""POST /api/lessons/<id>/transitions: move a lesson through its lifecycle; GET
/api/lessons/<id> also lists the `transitions` the caller may make."""

from __future__ import annotations

from flask import current_app, request

from kb.api import bp, openapi
from kb.api.body import read_object
from kb.api.documents import full
from kb.context import current
from kb.core.errors import ValidationError
from kb.documents import access, lifecycle, services
from kb.recurrence import services as recurrence
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


@bp.after_request
def _with_transitions(response):  # noqa: ANN001, ANN202
    """GET /api/lessons/<id>: add the statuses the caller may move the lesson to."""
    if request.endpoint != "api.get_lesson" or response.status_code != 200:
        return response
    data = response.get_json(silent=True)
    if not isinstance(data, dict) or "id" not in data:
        return response
    doc = services.get_readable(current().db, data["id"], viewer())
    data["transitions"] = lifecycle.allowed_transitions(viewer(), doc) if doc else []
    if doc is not None:
        data.update(_recurrence_fields(doc))
    response.set_data(current_app.json.dumps(data))
    return response


def _recurrence_fields(doc) -> dict:  # noqa: ANN001
    """similar (for its author and curators), recurrence_count, recurrences, related."""
    kb, who = current(), viewer()
    similar = recurrence.find_similar(kb.db, kb.index, doc, who)
    count, found = recurrence.recurrences(kb.db, doc.id, who)
    try:
        related = kb.index.more_like(doc.id, limit=5, reader=access.reader(who))
    except Exception:  # noqa: BLE001 - related documents are a nicety, as on the page
        current_app.logger.warning("related documents for %s failed", doc.id, exc_info=True)
        related = []
    return {
        "similar": [{"id": x.doc.id, "title": x.doc.title, "status": x.doc.status,
                     "project": x.doc.project_key, "score": x.score} for x in similar],
        "recurrence_count": count,
        "recurrences": [{"direction": r.direction, "id": r.other.id, "title": r.other.title,
                         "status": r.other.status, "project": r.other.project_key,
                         "score": r.score, "detected_at": r.detected_at.isoformat()}
                        for r in found],
        "related": [{"id": h.id, "type": h.type, "title": h.title, "status": h.status,
                     "project": h.project, "score": round(h.score, 4)} for h in related],
    }  # fmt: skip


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
