"""POST /api/lessons/<id>/transitions: move a lesson through its lifecycle; GET
/api/lessons/<id> also lists the `transitions` the caller may make."""

from __future__ import annotations

from flask import current_app, request

from kb.api import bp
from kb.api.documents import full
from kb.api.models.documents import LessonDetail, Transition
from kb.api.spec import contract, parsed_body
from kb.context import current
from kb.documents import access, lifecycle, services
from kb.recurrence import services as recurrence
from kb.security import viewer


@bp.post("/lessons/<doc_id>/transitions")
@contract(ok=(200, LessonDetail), json=Transition, errors=(403, 404, 409),
          HTTP_400="Not a next status (details.allowed lists them) or a missing reason",
          HTTP_403="Not yours to do", HTTP_409="The lesson changed meanwhile")  # fmt: skip
def lesson_transition(doc_id: str):
    """Move a lesson to another status (submit, review, publish, reject, …)

    Writes a new revision with the new `status:` in its front matter and emits
    `org.pmo.kb.lesson.<verb>`. Who may: see docs/events.md. A reason is required to reject,
    reopen and verify (the evidence); `merged_into` to merge. The answer lists the
    `transitions` that may come next.
    """
    body = parsed_body()
    doc = lifecycle.transition_lesson(
        current().db, doc_id, body.to, viewer=viewer(), reason=body.reason,
        merged_into=body.merged_into, base_version=body.version,
    )  # fmt: skip
    out = full(doc)
    out.transitions = lifecycle.allowed_transitions(viewer(), doc)
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
