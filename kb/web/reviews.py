"""A project's lessons review as a guided closure workshop: what went well, what to improve,
submitting. Plain forms (no script needed); a bad form comes back with its messages."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from kb.context import current
from kb.core.errors import Conflict, Forbidden, NotFound, ValidationError
from kb.core.time import utcnow
from kb.documents.vocabulary import TOPICS
from kb.projects import services as projects
from kb.reviews import services as reviews
from kb.reviews import workshop
from kb.security import viewer
from kb.web import bp


@bp.app_context_processor
def _review_helpers() -> dict:
    def project_review(key: str):  # noqa: ANN202
        """The project's current review, or None (for the link on the project page)."""
        return reviews.get_review(current().db, key)

    return {"project_review": project_review}


def _review_or_404(key: str):  # noqa: ANN202
    review = reviews.get_review(current().db, key)
    if review is None:
        abort(404, description=f"Project {key.upper()} has no lessons review.")
    return review


def _page(review, *, status: int = 200, form: dict | None = None, problems: dict | None = None,
          error: str | None = None):  # noqa: ANN001, ANN202  # fmt: skip
    db = current().db
    entries = workshop.entries(db, review, viewer())
    today = utcnow().date()
    return render_template(
        "review.html", review=review, project=projects.get_project(db, review.project_key),
        entries=entries, progress=workshop.progress(entries),
        may=workshop.rights(db, viewer(), review), topics=TOPICS,
        sections=workshop.SECTIONS, labels=workshop.IMPACT_LABELS,
        overdue=review.status == "open" and today > review.due_on,
        days_late=(today - review.due_on).days, form=form or {}, problems=problems or {},
        error=error,
    ), status  # fmt: skip


@bp.get("/projects/<key>/review")
def project_review(key: str):
    return _page(_review_or_404(key))


@bp.post("/projects/<key>/review/lessons")
def record_review_lesson(key: str):
    review = _review_or_404(key)
    form = request.form
    sections = {name: form.get(name, "") for name, _ in workshop.SECTIONS}
    draft = workshop.check_draft(form.get("impact"), form.get("title", ""), sections,
                                 form.getlist("topics"))  # fmt: skip
    values = {"impact": form.get("impact"), "title": form.get("title", ""),
              "topics": form.getlist("topics"), **sections}  # fmt: skip
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
        return _page(review, status=400, form=values, problems=problems,
                     error="The lesson was not recorded. Please fix these problems:")  # fmt: skip
    flash(f"{doc.id} recorded: {doc.title}.", "success")
    anchor = "went-well" if draft.impact == "went_well" else "to-improve"
    return redirect(url_for("web.project_review", key=review.project_key) + f"#{anchor}", code=303)


@bp.post("/projects/<key>/review/submit")
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
    flash(f"Review of {done.project_key} submitted: {count} lesson{'s' if count != 1 else ''} "
          "went to the curators.", "success")  # fmt: skip
    return redirect(url_for("web.project_review", key=done.project_key), code=303)
