"""The lesson lifecycle in the pages: the status buttons on a lesson and the curator's queue."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, abort, flash, redirect, render_template, request, url_for

from kb.access_rules import CONTRIBUTOR, CURATOR, needs
from kb.context import current
from kb.core.errors import Conflict, Forbidden, NotFound, ValidationError
from kb.core.time import as_utc, utcnow
from kb.documents import lifecycle
from kb.documents.queue import queue as waiting_lessons
from kb.params import int_arg
from kb.security import viewer
from kb.tasks import services as tasks
from kb.web import bp

#: button labels: the action that leads to each status
ACTIONS = {
    "submitted": "Submit for review",
    "in_review": "Start review",
    "published": "Publish",
    "rejected": "Reject",
    "in_action": "Start action",
    "actioned": "Mark actioned",
    "verified": "Verify",
    "archived": "Archive",
    "merged": "Merge into…",
    "reopened": "Reopen",
    "draft": "Back to draft",
}


#: what each step does, in one line under its button
EFFECTS = {
    "submitted": "Send it to the curators' queue for review.",
    "in_review": "Take it from the queue and check it before it is published.",
    "published": "Everyone can find and use it; curators then add its actions.",
    "rejected": "Send it back to its author with your reason; it leaves the queue.",
    "in_action": "Record that work on its recommendation has started.",
    "actioned": "Record that its actions are done.",
    "verified": "Record the evidence that the change worked.",
    "archived": "Keep it on record but take it out of active use.",
    "merged": "Fold it into another lesson that says the same; this one points there.",
    "reopened": "Open it again for review, with the reason (e.g. the problem recurred).",
    "draft": "Take it back to draft to rework it, then submit it again.",
}

# the status panel on a lesson's page (its steps, in order: kb.readmodels.documents)
bp.add_app_template_global(ACTIONS, "TRANSITION_LABELS")
bp.add_app_template_global(EFFECTS, "STEP_EFFECTS")


@bp.post("/lessons/<doc_id>/transitions")
@needs(CONTRIBUTOR, what="change a lesson's status")  # per lesson too (kb.documents.lifecycle)
def lesson_transition(doc_id: str):
    form = request.form

    def take() -> str:
        doc = lifecycle.transition_lesson(
            current().db,
            doc_id,
            form.get("to", ""),
            viewer=viewer(),
            reason=form.get("reason"),
            merged_into=form.get("merged_into"),
            base_version=int_arg("version", 0, source=form) or None,
        )
        return f"{doc.id} is now {doc.status.replace('_', ' ')}."

    return step_taken(url_for("web.document", folder="lessons", doc_id=doc_id), take)


def step_taken(page: str, take: Callable[[], str]) -> Response:
    """A lifecycle step posted by a form: `take()` does it and says what happened; back to
    `page` with that, or with why nothing changed (an unknown document is a 404, a step that
    is not the viewer's a 403)."""
    try:
        done = take()
    except NotFound:
        abort(404)
    except Forbidden as exc:
        abort(403, description=exc.message)
    except (Conflict, ValidationError) as exc:
        flash(f"Status not changed: {exc.message}", "error")
        return redirect(page, code=303)
    flash(done, "success")
    return redirect(page, code=303)


@bp.get("/queue")
@needs(CURATOR, what="work from the curator's queue")
def queue():
    now = utcnow()
    items = waiting_lessons(current().db, viewer(), now=now)
    verifications = [
        (task, doc, as_utc(task.created_at))
        for task, doc in tasks.verification_queue(current().db, viewer())
    ]
    return render_template(
        "queue.html", items=items, now=now, waited=waited, verifications=verifications
    )


def waited(delta) -> str:  # noqa: ANN001
    """'3 days', '5 hours', 'under an hour'."""
    days, hours = delta.days, delta.seconds // 3600
    if days:
        return f"{days} day{'s' if days != 1 else ''}"
    if hours:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return "under an hour"
