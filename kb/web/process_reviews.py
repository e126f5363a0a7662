"""A process model's review cycle in the pages: its health mark (lists, model and project
pages), "Reviewed, no change", and /me/processes — the published models the signed-in person
takes part in, with what changed since they last looked."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from kb.access_rules import USER, needs
from kb.context import current
from kb.core.errors import Conflict, Forbidden, NotFound, ValidationError
from kb.overdue.health import (
    AMBER,
    GREEN,
    HEALTHS,
    LABELS,
    RED,
    Health,
    health_ids,
    review_health,
)
from kb.processes import involvement, review
from kb.security import viewer
from kb.web import bp
from kb.web.overdue import today
from kb.web.present import day

HEALTH_CHOICES = [(level, LABELS[level]) for level in HEALTHS]
#: the project page's summary: "1 overdue, 2 on time"
bp.add_app_template_global(
    {RED: "overdue", AMBER: "due within 30 days", GREEN: "on time"}, "HEALTH_WORDS"
)


@bp.app_template_global()
def health_of(doc) -> Health:  # noqa: ANN001
    """A process model's review health today (no query: the document's own fields)."""
    return review_health(doc, today())


def health_arg() -> str | None:
    """`?health=green|amber|red` (blank: any), or a clear 400."""
    raw = request.args.get("health") or None
    if raw is not None and raw not in HEALTHS:
        raise ValidationError(
            f"`health` must be one of: {', '.join(HEALTHS)}; not '{raw[:40]}'.", field="health"
        )
    return raw


def with_health(among: list[str] | None, level: str | None) -> list[str] | None:
    """The list's ids narrowed to the process models of health `level` (None: not narrowed)."""
    if level is None:
        return among
    ids = health_ids(current().db, level, today())
    return ids if among is None else sorted(set(among) & set(ids))


def health_counts(docs) -> dict[str, int]:  # noqa: ANN001
    """How many of the process models among `docs` are red, amber and green (the project
    page's summary), in that order, the empty ones left out."""
    levels = [review_health(d, today()).level for d in docs if d.type == "process"]
    return {level: levels.count(level) for level in (RED, AMBER, GREEN) if level in levels}


@bp.post("/processes/<doc_id>/reviewed")
@needs(USER)
def mark_process_reviewed(doc_id: str):
    try:
        done = review.mark_reviewed(current().db, doc_id, viewer=viewer()).review
    except NotFound:
        abort(404)
    except Forbidden as exc:
        abort(403, description=exc.message)
    except Conflict as exc:
        flash(f"Review not recorded: {exc.message}", "error")
        return redirect(url_for("web.document", folder="processes", doc_id=doc_id), code=303)
    flash(
        f"Recorded: {done.document_id} reviewed, no change, on {day(done.reviewed_on)}.", "success"
    )
    return redirect(url_for("web.document", folder="processes", doc_id=done.document_id), code=303)


@bp.get("/me/processes")
@needs(USER)
def my_processes():
    items = involvement.processes_of(current().db, viewer())
    return render_template("my_processes.html", items=items)
