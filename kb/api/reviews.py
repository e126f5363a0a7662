"""GET /api/projects/<key>/review: a closed project's lessons review."""

from __future__ import annotations

from datetime import date, datetime

from kb.api import bp, openapi, schemas
from kb.context import current
from kb.core.errors import NotFound
from kb.core.time import as_utc
from kb.documents import queries
from kb.reviews import services as reviews
from kb.reviews.models import Review, Task
from kb.security import viewer


def _iso(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    return as_utc(value).isoformat() if isinstance(value, datetime) else value.isoformat()


def task_json(task: Task) -> dict:
    return {"id": task.id, "kind": task.kind, "subject": task.subject, "assignee": task.assignee,
            "status": task.status, "created_at": _iso(task.created_at),
            "details": dict(task.details or {})}  # fmt: skip


def review_json(review: Review) -> dict:
    return {
        "id": review.id, "project": review.project_key, "status": review.status,
        "opened_at": _iso(review.opened_at), "due_on": _iso(review.due_on),
        "facilitator": review.facilitator, "participants": list(review.participants or []),
        "closure_type": review.closure_type, "outcome_summary": review.outcome_summary,
        "escalation_level": review.escalation_level, "completed_at": _iso(review.completed_at),
        "completed_by": review.completed_by,
    }  # fmt: skip


@bp.get("/projects/<key>/review")
def get_project_review(key: str):
    db = current().db
    review = reviews.get_review(db, key)
    if review is None:
        raise NotFound(f"Project {key} has no lessons review.")
    lessons = queries.list_documents(db, {"project": [review.project_key], "type": ["lesson"]},
                                     viewer=viewer(), per_page=100, sort="id")  # fmt: skip
    out = review_json(review)
    out["lessons"] = [schemas.document_summary(d) for d in lessons.items]
    out["tasks"] = [task_json(t) for t in reviews.list_tasks(db, project=review.project_key)]
    return out


_REVIEW = {"type": "object", "required": ["project", "status", "due_on", "lessons"], "properties": {
    "id": {"type": "integer"}, "project": {"type": "string"},
    "status": {"enum": ["open", "completed"]}, "opened_at": {"type": "string", "format": "date-time"},
    "due_on": {"type": "string", "format": "date"}, "facilitator": {"type": ["string", "null"]},
    "participants": {"type": "array", "items": {"type": "string"}},
    "escalation_level": {"type": "integer", "description": "0 none, 1 project manager told, 2 PMO told"},
    "lessons": {"type": "array", "items": {"type": "object"}},
    "tasks": {"type": "array", "items": {"type": "object"}}}}  # fmt: skip
openapi.EXTRA_PATHS["/api/projects/{key}/review"] = {"get": {
    "summary": "A closed project's lessons review: due date, facilitator, the lessons you may read, the PMO's tasks",
    "parameters": [{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}],
    "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": _REVIEW}}},
                  "404": {"description": "The project has no review"}},
}}  # fmt: skip
