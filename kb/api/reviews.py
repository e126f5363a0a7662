"""A project's lessons review: GET /api/projects/<key>/review (with its lessons and progress),
POST .../review/lessons (record a draft lesson), PUT .../review/lessons/<id> (complete or edit
a draft), POST .../review/lessons/<id>/withdraw, POST .../review/submit (submit them all)."""

from __future__ import annotations

from collections.abc import Callable

from kb.access_rules import READER, needs
from kb.api import bp
from kb.api.models.documents import LessonSummary
from kb.api.models.reviews import (
    DraftEdit,
    DraftLesson,
    DraftWrite,
    Progress,
    Review,
    ReviewTask,
    Withdrawal,
)
from kb.api.spec import contract, parsed_body
from kb.context import current
from kb.core.attributes import alike
from kb.core.errors import NotFound
from kb.documents import services as documents
from kb.documents.models import Document
from kb.reviews import drafts, workshop
from kb.reviews import models as review_models
from kb.reviews import services as reviews
from kb.security import viewer
from kb.tasks import services as tasks
from kb.tasks.models import Task

NO_REVIEW = "The project has no review"
_DRAFT = {
    "HTTP_403": "Not the review's facilitator or a participant, the draft's author or a curator",
    "HTTP_404": "No such review, or no such lesson in it (or one you may not read)",
    "HTTP_409": "The review is completed, the lesson is no longer a draft, or it changed since "
    "`version`",
    "HTTP_400": "Invalid input (`details.fields` says what is wrong with each field)",
}


def _entry(entry: workshop.Entry, changeable: set[str]) -> DraftLesson:
    link = entry.link
    return DraftLesson(
        **LessonSummary.fields(entry.doc),
        **alike(link, "impact source", audit=link.audit_id, finding=link.finding_id),
        **alike(entry, "complete withdrawn", missing=list(entry.missing)),
        may_change=entry.doc.id in changeable,
    )


def _lesson_of(review: review_models.Review, doc_id: str) -> DraftLesson:
    db = current().db
    entries = [e for e in workshop.entries(db, review, viewer()) if e.doc.id == doc_id]
    changeable = drafts.changeable(db, viewer(), review, [e.doc for e in entries])
    return _entry(entries[0], changeable)


def full_review(review: review_models.Review) -> Review:
    db = current().db
    entries = workshop.entries(db, review, viewer())
    changeable = drafts.changeable(db, viewer(), review, [e.doc for e in entries])
    found = tasks.list_tasks(db, status=None, project=review.project_key)
    shown = [t for t in found if _may_see(t)]
    may = workshop.rights(db, viewer(), review)
    names = (
        "id status opened_at due_on facilitator closure_type outcome_summary escalation_level "
        "completed_at completed_by origin"
    )
    return Review(
        **alike(review, names),
        project=review.project_key,
        participants=list(review.participants or []),
        lessons=[_entry(e, changeable) for e in entries],
        progress=Progress(**workshop.progress(entries).as_dict()),
        tasks=[
            ReviewTask.model_validate(t).model_copy(update={"details": dict(t.details or {})})
            for t in shown
        ],
        may_record=may.record,
        may_submit=may.submit,
    )


def _may_see(task: Task) -> bool:
    """A task about a document is shown only to those who may read the document."""
    kind, _, doc_id = task.subject.partition("/")
    if kind not in ("lessons", "processes", "guides"):
        return True
    return documents.get_readable(current().db, doc_id, viewer()) is not None


def _review_or_404(key: str) -> review_models.Review:
    review = reviews.get_review(current().db, key)
    if review is None:
        raise NotFound(f"Project {key} has no lessons review.")
    return review


def _change_draft(key: str, doc_id: str, change: Callable[..., Document], names: str):
    """A draft of the project's open review changed by `change` (kb.reviews.drafts) with the
    body's members `names` and its `version`, as the answer shows it."""
    review, body = _review_or_404(key), parsed_body()
    given = alike(body, names, base_version=body.version, viewer=viewer())
    doc = change(current().db, review.project_key, doc_id, **given)
    return _lesson_of(review, doc.id)


@bp.get("/projects/<key>/review")
@contract(ok=(200, Review), HTTP_404=NO_REVIEW)
@needs(READER)
def get_project_review(key: str):
    """A project's lessons review: due date, facilitator, its lessons with their impact, progress, the PMO's tasks"""
    return full_review(_review_or_404(key))


@bp.post("/projects/<key>/review/lessons")
@contract(
    ok=(201, DraftLesson),
    json=DraftWrite,
    HTTP_403="Not allowed to record lessons in this review",
    HTTP_404=NO_REVIEW,
    HTTP_409="The review is completed",
    HTTP_400=_DRAFT["HTTP_400"],
)
@needs(READER)  # facilitator, participants, contributors, curators (kb.reviews.workshop)
def record_review_lesson(key: str):
    """Record a draft lesson in the project's open review (facilitator, participants, contributors, curators)

    The lesson is prefilled with the project, phase closure and polarity from `impact`; emits
    `org.pmo.kb.lesson.created`.
    """
    review, body = _review_or_404(key), parsed_body()
    draft = workshop.check_draft(body.impact, body.title, body.sections, body.topics)
    doc = workshop.record_lesson(current().db, review.project_key, draft, viewer=viewer())
    return _lesson_of(review, doc.id), 201


@bp.put("/projects/<key>/review/lessons/<doc_id>")
@contract(ok=(200, DraftLesson), json=DraftEdit, errors=(403, 404, 409), **_DRAFT)
@needs(READER)  # facilitator, participants, the author, curators (kb.reviews.drafts)
def edit_review_lesson(key: str, doc_id: str):
    """Complete or edit a draft of the open review: its title, what happened, lesson and recommendation

    For the review's facilitator and participants (whoever drafted the lesson, kb from an
    audit finding too), the draft's author and curators. An empty section is removed; other
    sections and the front matter are kept. Emits `org.pmo.kb.lesson.updated`.
    """
    return _change_draft(key, doc_id, drafts.edit_draft, "title sections")


@bp.post("/projects/<key>/review/lessons/<doc_id>/withdraw")
@contract(ok=(200, DraftLesson), json=Withdrawal, errors=(403, 404, 409), **_DRAFT)
@needs(READER)  # facilitator, participants, the author, curators (kb.reviews.drafts)
def withdraw_review_lesson(key: str, doc_id: str):
    """Withdraw a draft from the open review: it becomes rejected and is not submitted with the review

    Same people as editing. The reason recorded names who withdrew it and why; emits
    `org.pmo.kb.lesson.rejected` (from `draft`). A curator can reopen it.
    """
    return _change_draft(key, doc_id, drafts.withdraw_draft, "reason")


@bp.post("/projects/<key>/review/submit")
@contract(
    ok=(200, Review),
    HTTP_400="No lessons, or incomplete ones (`details.incomplete`)",
    HTTP_403="Not the facilitator or a curator",
    HTTP_404=NO_REVIEW,
    HTTP_409="The review is completed already",
)
@needs(READER)  # its facilitator or a curator (kb.reviews.workshop)
def submit_review(key: str):
    """Submit the review (its facilitator or a curator): every draft lesson is submitted and the review completed

    One transaction: `org.pmo.kb.lesson.submitted` per draft, then
    `org.pmo.kb.review.completed` with `lessons`. Refused while a draft lacks what happened,
    the lesson or the recommendation.
    """
    _review_or_404(key)
    review, _ = workshop.submit_review(current().db, key, viewer=viewer())
    return full_review(review)
