"""A project's lessons review: GET /api/projects/<key>/review (with its lessons and progress),
POST .../review/lessons (record a draft lesson), POST .../review/submit (submit them all)."""

from __future__ import annotations

from flask import request

from kb.api import bp, openapi, schemas
from kb.api.body import read_object
from kb.context import current
from kb.core.errors import NotFound
from kb.core.time import iso
from kb.documents import services as documents
from kb.reviews import services as reviews
from kb.reviews import workshop
from kb.reviews.models import Review, Task
from kb.security import viewer


def task_json(task: Task) -> dict:
    return {"id": task.id, "kind": task.kind, "subject": task.subject, "assignee": task.assignee,
            "status": task.status, "created_at": iso(task.created_at),
            "details": dict(task.details or {})}  # fmt: skip


def review_json(review: Review) -> dict:
    return {
        "id": review.id, "project": review.project_key, "status": review.status,
        "opened_at": iso(review.opened_at), "due_on": iso(review.due_on),
        "facilitator": review.facilitator, "participants": list(review.participants or []),
        "closure_type": review.closure_type, "outcome_summary": review.outcome_summary,
        "escalation_level": review.escalation_level, "completed_at": iso(review.completed_at),
        "completed_by": review.completed_by, "origin": review.origin,
    }  # fmt: skip


def entry_json(entry: workshop.Entry) -> dict:
    link = entry.link
    return {**schemas.document_summary(entry.doc), "impact": link.impact, "source": link.source,
            "audit": link.audit_id, "finding": link.finding_id, "complete": entry.complete,
            "missing": list(entry.missing)}  # fmt: skip


def full_review(review: Review) -> dict:
    db = current().db
    entries = workshop.entries(db, review, viewer())
    out = review_json(review)
    out["lessons"] = [entry_json(e) for e in entries]
    out["progress"] = workshop.progress(entries).as_dict()
    out["tasks"] = [task_json(t) for t in reviews.list_tasks(db, project=review.project_key)
                    if _may_see(t)]  # fmt: skip
    may = workshop.rights(db, viewer(), review)
    out["may_record"], out["may_submit"] = may.record, may.submit
    return out


def _may_see(task: Task) -> bool:
    """A task about a document is shown only to those who may read the document."""
    kind, _, doc_id = task.subject.partition("/")
    if kind not in ("lessons", "processes", "guides"):
        return True
    return documents.get_readable(current().db, doc_id, viewer()) is not None


def _review_or_404(key: str) -> Review:
    review = reviews.get_review(current().db, key)
    if review is None:
        raise NotFound(f"Project {key} has no lessons review.")
    return review


@bp.get("/projects/<key>/review")
def get_project_review(key: str):
    return full_review(_review_or_404(key))


@bp.post("/projects/<key>/review/lessons")
def record_review_lesson(key: str):
    review = _review_or_404(key)
    body = read_object(request)
    draft = workshop.check_draft(body.get("impact"), body.get("title"), body.get("sections"),
                                 body.get("topics"))  # fmt: skip
    doc = workshop.record_lesson(current().db, review.project_key, draft, viewer=viewer())
    entry = next(e for e in workshop.entries(current().db, review, viewer()) if e.doc.id == doc.id)
    return entry_json(entry), 201


@bp.post("/projects/<key>/review/submit")
def submit_review(key: str):
    _review_or_404(key)
    review, _ = workshop.submit_review(current().db, key, viewer=viewer())
    return full_review(review)


_ERR = {"content": {"application/json": {"schema": openapi.ERROR}}}
_LESSON = {"type": "object", "properties": {
    "id": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "string"},
    "impact": {"enum": ["went_well", "to_improve"]}, "source": {"enum": ["workshop", "audit"]},
    "audit": {"type": ["string", "null"]}, "finding": {"type": ["string", "null"]},
    "complete": {"type": "boolean", "description": "what happened, lesson and recommendation written"},
    "missing": {"type": "array", "items": {"type": "string"}}}}  # fmt: skip
_REVIEW = {"type": "object", "required": ["project", "status", "due_on", "lessons", "progress"], "properties": {
    "id": {"type": "integer"}, "project": {"type": "string"},
    "origin": {"type": "string", "description": "closure, or audit:<auditId> for a review an audit opened"},
    "status": {"enum": ["open", "completed"]}, "opened_at": {"type": "string", "format": "date-time"},
    "due_on": {"type": "string", "format": "date"}, "facilitator": {"type": ["string", "null"]},
    "participants": {"type": "array", "items": {"type": "string"}},
    "escalation_level": {"type": "integer", "description": "0 none, 1 project manager told, 2 PMO told"},
    "lessons": {"type": "array", "items": _LESSON, "description": "the review's lessons you may read"},
    "progress": {"type": "object", "properties": {
        "total": {"type": "integer"}, "complete": {"type": "integer"},
        "incomplete": {"type": "integer"}, "submitted": {"type": "integer"},
        "drafts": {"type": "integer"}, "by_impact": {"type": "object"},
        "summary": {"type": "string", "example": "3 lessons: 2 complete, 1 needs a recommendation; 0 submitted"}}},
    "may_record": {"type": "boolean"}, "may_submit": {"type": "boolean"},
    "tasks": {"type": "array", "items": {"type": "object"}}}}  # fmt: skip
_KEY = [{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}]
_SECTIONS = {
    name: {"type": "string", "maxLength": workshop.SECTION_MAX} for name, _ in workshop.SECTIONS
}
openapi.EXTRA_PATHS["/api/projects/{key}/review"] = {"get": {
    "summary": "A project's lessons review: due date, facilitator, its lessons with their impact, progress, the PMO's tasks",
    "parameters": _KEY,
    "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": _REVIEW}}},
                  "404": {"description": "The project has no review", **_ERR}},
}}  # fmt: skip
openapi.EXTRA_PATHS["/api/projects/{key}/review/lessons"] = {"post": {
    "summary": "Record a draft lesson in the project's open review (facilitator, participants, contributors, curators)",
    "description": "The lesson is prefilled with the project, phase closure and polarity from `impact`; "
                   "emits `org.pmo.kb.lesson.created`.",
    "parameters": _KEY,
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["impact", "title", "sections"], "properties": {
            "impact": {"enum": ["went_well", "to_improve"]},
            "title": {"type": "string", "maxLength": workshop.TITLE_MAX},
            "sections": {"type": "object", "properties": _SECTIONS, "required": ["what_happened"]},
            "topics": {"type": "array", "items": {"type": "string"}}}}}}},
    "responses": {"201": {"description": "The draft lesson", "content": {"application/json": {"schema": _LESSON}}},
                  "400": {"description": "Invalid input (`details.fields` says what is wrong with each field)", **_ERR},
                  "403": {"description": "Not allowed to record lessons in this review", **_ERR},
                  "404": {"description": "The project has no review", **_ERR},
                  "409": {"description": "The review is completed", **_ERR}},
}}  # fmt: skip
openapi.EXTRA_PATHS["/api/projects/{key}/review/submit"] = {"post": {
    "summary": "Submit the review (its facilitator or a curator): every draft lesson is submitted and the review completed",
    "description": "One transaction: `org.pmo.kb.lesson.submitted` per draft, then `org.pmo.kb.review.completed` "
                   "with `lessons`. Refused while a draft lacks what happened, the lesson or the recommendation.",
    "parameters": _KEY,
    "responses": {"200": {"description": "The completed review", "content": {"application/json": {"schema": _REVIEW}}},
                  "400": {"description": "No lessons, or incomplete ones (`details.incomplete`)", **_ERR},
                  "403": {"description": "Not the facilitator or a curator", **_ERR},
                  "404": {"description": "The project has no review", **_ERR},
                  "409": {"description": "The review is completed already", **_ERR}},
}}  # fmt: skip
