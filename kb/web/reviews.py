"""A project's lessons review as a guided closure workshop: what went well, what to improve,
submitting. Plain forms (no script needed); a bad form comes back with its messages."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from kb.access_rules import READER, needs
from kb.context import current
from kb.core.errors import Conflict, Forbidden, KbError, NotFound, ValidationError
from kb.core.time import utcnow
from kb.documents.vocabulary import TOPICS
from kb.projects import services as projects
from kb.reviews import drafts, workshop
from kb.reviews import services as reviews
from kb.security import viewer
from kb.web import bp
from kb.web.params import int_arg


def _review_or_404(key: str):  # noqa: ANN202
    review = reviews.get_review(current().db, key)
    if review is None:
        abort(404, description=f"Project {key.upper()} has no lessons review.")
    return review


def _page(
    review,
    *,
    status: int = 200,
    form: dict | None = None,
    problems: dict | None = None,
    error: str | None = None,
):  # noqa: ANN001, ANN202
    db = current().db
    entries = workshop.entries(db, review, viewer())
    today = utcnow().date()
    return render_template(
        "review.html",
        review=review,
        project=projects.get_project(db, review.project_key),
        entries=entries,
        progress=workshop.progress(entries),
        may=workshop.rights(db, viewer(), review),
        topics=TOPICS,
        changeable=drafts.changeable(db, viewer(), review, [e.doc for e in entries]),
        edited=[(name, workshop.HEADINGS[name]) for name in drafts.EDITED],
        sections_of=drafts.sections_of,
        sections=workshop.SECTIONS,
        labels=workshop.IMPACT_LABELS,
        overdue=review.status == "open" and today > review.due_on,
        days_late=(today - review.due_on).days,
        form=form or {},
        problems=problems or {},
        error=error,
    ), status


@bp.get("/projects/<key>/review")
@needs(READER)
def project_review(key: str):
    return _page(_review_or_404(key))


@bp.post("/projects/<key>/review/lessons")
@needs(READER)  # facilitator, participants, contributors, curators (kb.reviews.workshop)
def record_review_lesson(key: str):
    review = _review_or_404(key)
    form = request.form
    sections = {name: form.get(name, "") for name, _ in workshop.SECTIONS}
    draft = workshop.check_draft(
        form.get("impact"), form.get("title", ""), sections, form.getlist("topics")
    )
    values = {
        "impact": form.get("impact"),
        "title": form.get("title", ""),
        "topics": form.getlist("topics"),
        **sections,
    }
    try:
        doc = workshop.record_lesson(current().db, review.project_key, draft, viewer=viewer())
    except Forbidden as exc:
        abort(403, description=exc.message)
    except NotFound:
        abort(404)
    except Conflict as exc:
        flash(f"Lesson not recorded: {exc.message}", "error")
        return redirect(url_for("web.project_review", key=review.project_key), code=303)
    except ValidationError as exc:
        problems = dict(exc.details.get("fields") or {}) or {exc.field or "form": exc.message}
        return _page(
            review,
            status=400,
            form=values,
            problems=problems,
            error="The lesson was not recorded. Please fix these problems:",
        )
    flash(f"{doc.id} recorded: {doc.title}.", "success")
    anchor = "went-well" if draft.impact == "went_well" else "to-improve"
    return redirect(url_for("web.project_review", key=review.project_key) + f"#{anchor}", code=303)


@bp.post("/projects/<key>/review/submit")
@needs(READER)  # its facilitator or a curator (kb.reviews.workshop)
def submit_review(key: str):
    review = _review_or_404(key)
    try:
        done, submitted = workshop.submit_review(current().db, review.project_key, viewer=viewer())
    except Forbidden as exc:
        abort(403, description=exc.message)
    except NotFound:
        abort(404)
    except (Conflict, ValidationError) as exc:
        return _page(
            review, status=exc.status, error=f"The review was not submitted: {exc.message}"
        )
    count = len(submitted)
    flash(
        f"Review of {done.project_key} submitted: {count} lesson{'s' if count != 1 else ''} "
        "went to the curators.",
        "success",
    )
    return redirect(url_for("web.project_review", key=done.project_key), code=303)


def _draft_failed(review, exc: KbError, values: dict | None = None):  # noqa: ANN001, ANN202
    """The review page again, saying what went wrong (a 403 too: the page says who may); a
    lesson the person may not read is a plain 404."""
    if isinstance(exc, NotFound):
        abort(404)
    problems = dict(exc.details.get("fields") or {}) if isinstance(exc, ValidationError) else {}
    return _page(
        review,
        status=exc.status,
        form=values,
        problems=problems,
        error=f"The lesson was not changed: {exc.message}",
    )


@bp.post("/projects/<key>/review/lessons/<doc_id>")
@needs(READER)  # facilitator, participants, the author, curators (kb.reviews.drafts)
def edit_review_lesson(key: str, doc_id: str):
    """The draft's form on the review page: its title, what happened, lesson, recommendation."""
    review = _review_or_404(key)
    form = request.form
    sections = {name: form.get(name, "") for name in drafts.EDITED}
    values = {"draft": doc_id, "title": form.get("title", ""), **sections}
    try:
        version = int_arg("version", 0, source=form)
        if version < 1:
            raise ValidationError(
                "The form lost the version you edited; reload the page.", field="version"
            )
        doc = drafts.edit_draft(
            current().db,
            review.project_key,
            doc_id,
            title=form.get("title", ""),
            sections=sections,
            base_version=version,
            viewer=viewer(),
        )
    except KbError as exc:
        return _draft_failed(review, exc, values)
    flash(f"{doc.id} saved: {doc.title}.", "success")
    return redirect(
        url_for("web.project_review", key=review.project_key) + f"#lesson-{doc.id}", code=303
    )


@bp.post("/projects/<key>/review/lessons/<doc_id>/withdraw")
@needs(READER)  # facilitator, participants, the author, curators (kb.reviews.drafts)
def withdraw_review_lesson(key: str, doc_id: str):
    review = _review_or_404(key)
    try:
        doc = drafts.withdraw_draft(
            current().db,
            review.project_key,
            doc_id,
            reason=request.form.get("reason", ""),
            base_version=int_arg("version", 0, source=request.form) or None,
            viewer=viewer(),
        )
    except KbError as exc:
        return _draft_failed(review, exc)
    flash(f"{doc.id} withdrawn from the review: {doc.title}.", "success")
    return redirect(url_for("web.project_review", key=review.project_key) + "#progress", code=303)
