"""A project's lessons review: GET /api/projects/<key>/review (with its lessons and progress),
POST .../review/lessons (record a draft lesson), PUT .../review/lessons/<id> (complete or edit
a draft), POST .../review/lessons/<id>/withdraw, POST .../review/submit (submit them all)."""

from __future__ import annotations

from flask import request

from kb.api import bp, openapi, schemas
from kb.api.body import read_json, read_object
from kb.context import current
from kb.core.errors import NotFound, ValidationError
from kb.core.time import iso
from kb.documents import services as documents
from kb.reviews import drafts, workshop
from kb.reviews import services as reviews
from kb.reviews.models import Review
from kb.security import viewer
from kb.tasks import services as tasks
from kb.tasks.models import Task


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


def entry_json(entry: workshop.Entry, changeable: set[str]) -> dict:
    link = entry.link
    return {**schemas.document_summary(entry.doc), "impact": link.impact, "source": link.source,
            "audit": link.audit_id, "finding": link.finding_id, "complete": entry.complete,
            "missing": list(entry.missing), "version": entry.doc.version,
            "withdrawn": entry.withdrawn, "may_change": entry.doc.id in changeable}  # fmt: skip


def entries_json(review: Review, only: str | None = None) -> list[dict]:
    db = current().db
    entries = [e for e in workshop.entries(db, review, viewer()) if only in (None, e.doc.id)]
    changeable = drafts.changeable(db, viewer(), review, [e.doc for e in entries])
    return [entry_json(e, changeable) for e in entries]


def full_review(review: Review) -> dict:
    db = current().db
    entries = workshop.entries(db, review, viewer())
    out = review_json(review)
    changeable = drafts.changeable(db, viewer(), review, [e.doc for e in entries])
    out["lessons"] = [entry_json(e, changeable) for e in entries]
    out["progress"] = workshop.progress(entries).as_dict()
    out["tasks"] = [task_json(t) for t in tasks.list_tasks(db, status=None, project=review.project_key)
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
    return entries_json(review, doc.id)[0], 201


@bp.put("/projects/<key>/review/lessons/<doc_id>")
def edit_review_lesson(key: str, doc_id: str):
    review = _review_or_404(key)
    body = read_object(request)
    version = body.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValidationError(
            "Give `version`: the version of the draft you edited.", field="version"
        )
    doc = drafts.edit_draft(current().db, review.project_key, doc_id, title=body.get("title"),
                            sections=body.get("sections"), base_version=version, viewer=viewer())  # fmt: skip
    return entries_json(review, doc.id)[0]


@bp.post("/projects/<key>/review/lessons/<doc_id>/withdraw")
def withdraw_review_lesson(key: str, doc_id: str):
    review = _review_or_404(key)
    body = {} if read_json(request) is None else read_object(request)  # no body: no reason
    version = body.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise ValidationError("`version` must be a whole number.", field="version")
    doc = drafts.withdraw_draft(current().db, review.project_key, doc_id, reason=body.get("reason"),
                                base_version=version, viewer=viewer())  # fmt: skip
    return entries_json(review, doc.id)[0]


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
    "missing": {"type": "array", "items": {"type": "string"}},
    "version": {"type": "integer", "description": "send it back when editing the draft"},
    "withdrawn": {"type": "boolean", "description": "taken out of the review (status rejected)"},
    "may_change": {"type": "boolean", "description": "you may complete, edit and withdraw this draft now"}}}  # fmt: skip
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
        "withdrawn": {"type": "integer", "description": "drafts taken out of the review"},
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
_DRAFT_ERRORS = {
    "403": {"description": "Not the review's facilitator or a participant, the draft's author or a curator", **_ERR},
    "404": {"description": "No such review, or no such lesson in it (or one you may not read)", **_ERR},
    "409": {"description": "The review is completed, the lesson is no longer a draft, or it changed since `version`", **_ERR},
}  # fmt: skip
_LESSON_ID = _KEY + [
    {"name": "doc_id", "in": "path", "required": True, "schema": {"type": "string"}}
]
openapi.EXTRA_PATHS["/api/projects/{key}/review/lessons/{doc_id}"] = {"put": {
    "summary": "Complete or edit a draft of the open review: its title, what happened, lesson and recommendation",
    "description": "For the review's facilitator and participants (whoever drafted the lesson, kb from an "
                   "audit finding too), the draft's author and curators. An empty section is removed; other "
                   "sections and the front matter are kept. Emits `org.pmo.kb.lesson.updated`.",
    "parameters": _LESSON_ID,
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["title", "sections", "version"], "properties": {
            "title": {"type": "string", "maxLength": workshop.TITLE_MAX},
            "version": {"type": "integer", "description": "the draft's version you edited"},
            "sections": {"type": "object", "required": ["what_happened"], "additionalProperties": False,
                         "properties": {n: _SECTIONS[n] for n in drafts.EDITED}}}}}}},
    "responses": {"200": {"description": "The draft", "content": {"application/json": {"schema": _LESSON}}},
                  "400": {"description": "Invalid input (`details.fields` says what is wrong with each field)", **_ERR},
                  **_DRAFT_ERRORS},
}}  # fmt: skip
openapi.EXTRA_PATHS["/api/projects/{key}/review/lessons/{doc_id}/withdraw"] = {"post": {
    "summary": "Withdraw a draft from the open review: it becomes rejected and is not submitted with the review",
    "description": "Same people as editing. The reason recorded names who withdrew it and why; emits "
                   "`org.pmo.kb.lesson.rejected` (from `draft`). A curator can reopen it.",
    "parameters": _LESSON_ID,
    "requestBody": {"required": False, "content": {"application/json": {"schema": {
        "type": "object", "properties": {
            "reason": {"type": "string", "maxLength": drafts.REASON_MAX},
            "version": {"type": "integer", "description": "refused (409) if the draft changed since"}}}}}},
    "responses": {"200": {"description": "The withdrawn lesson", "content": {"application/json": {"schema": _LESSON}}},
                  "400": {"description": "A bad reason or version", **_ERR},
                  **_DRAFT_ERRORS},
}}  # fmt: skip
