"""GET /api/processes/<id>/changes: what the process repository changed (process.changed)."""

from __future__ import annotations

from kb.api import bp, openapi
from kb.context import current
from kb.core.errors import NotFound
from kb.documents import services as documents
from kb.processes import services as processes
from kb.security import viewer


@bp.get("/processes/<doc_id>/changes")
def list_process_changes(doc_id: str):
    db, who = current().db, viewer()
    process_id = doc_id.strip().upper()
    doc = documents.get_document(db, process_id)
    if doc is not None and doc.type != "process":
        doc = None
    if doc is not None and documents.get_readable(db, doc.id, who) is None:
        raise NotFound(f"There is no process model {process_id}.")
    changes = processes.list_changes(db, process_id)
    if doc is None and not changes:
        raise NotFound(f"kb has no process model {process_id} and no change recorded for it.")
    flagged = sorted({lesson for c in changes for lesson in c.flagged_lessons or []})
    readable = processes.readable_ids(db, flagged, who)
    out = []
    for change in changes:
        item = processes.change_json(change, doc.title if doc is not None else None)
        item["flagged_lessons"] = [x for x in item["flagged_lessons"] if x in readable]
        out.append(item)
    return {"process_id": process_id, "id": doc.id if doc is not None else None,
            "title": doc.title if doc is not None else None, "changes": out}  # fmt: skip


_CHANGE = {"type": "object", "properties": {
    "id": {"type": ["string", "null"], "description": "the kb process model it matched"},
    "process_id": {"type": "string"}, "title": {"type": ["string", "null"]},
    "version": {"type": "string"}, "change_type": {"enum": list(processes.CHANGE_TYPES)},
    "effective_from": {"type": ["string", "null"], "format": "date"},
    "changed_by": {"type": "string"}, "summary": {"type": "string"},
    "flagged_lessons": {"type": "array", "items": {"type": "string"},
                        "description": "lessons flagged for revalidation (those you may read)"}}}  # fmt: skip
openapi.EXTRA_PATHS["/api/processes/{doc_id}/changes"] = {"get": {
    "summary": "A process model's changes from the process repository, newest first",
    "parameters": [{"name": "doc_id", "in": "path", "required": True, "schema": {"type": "string"},
                    "description": "the processId, e.g. PM-0007 (any case)"}],
    "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"process_id": {"type": "string"},
                                         "id": {"type": ["string", "null"]},
                                         "title": {"type": ["string", "null"]},
                                         "changes": {"type": "array", "items": _CHANGE}}}}}},
                  "404": {"description": "No such process model (or not yours to read) and no change recorded",
                          "content": {"application/json": {"schema": openapi.ERROR}}}},
}}  # fmt: skip
