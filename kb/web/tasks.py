"""The PMO's task page (/tasks, curators): open tasks grouped by kind, each with a Done button,
and the latest changes from the process repository."""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for

from kb.access_rules import CURATOR, needs
from kb.context import current
from kb.core.errors import Conflict, Forbidden, NotFound, ValidationError
from kb.core.time import as_utc, utcnow
from kb.documents.kinds import BY_FOLDER
from kb.overdue import services as overdue
from kb.processes import services as processes
from kb.security import viewer
from kb.tasks import services as tasks
from kb.web import bp

KIND_TITLES = {
    "confirm_bau_owner": "Confirm a business-as-usual owner",
    "verify_lesson": "Verify that an actioned lesson worked",
    "revalidate_lesson": "Revalidate a lesson after its process model changed",
    "review_process_model": "Review a process model in the PMO's custody",
}
DONE_SHOWN = 100


def subject_url(subject: str) -> str | None:
    """lessons/LL-2025-0007 -> the lesson's page; None when the subject is not a document."""
    folder, _, doc_id = subject.partition("/")
    if folder not in BY_FOLDER or not doc_id:
        return None
    return url_for("web.document", folder=folder, doc_id=doc_id)


def age(since: datetime, now: datetime) -> str:
    """'3 days', '5 hours', 'under an hour'."""
    delta = now - as_utc(since)
    days, hours = delta.days, delta.seconds // 3600
    if days > 0:
        return f"{days} day{'s' if days != 1 else ''}"
    if days == 0 and hours:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return "under an hour"


@bp.get("/tasks")
@needs(CURATOR, what="see the PMO's tasks")
def tasks_page():
    db = current().db
    done = request.args.get("status") == "done"
    found = tasks.list_tasks(db, status="done" if done else "open")
    shown = found[:DONE_SHOWN] if done else found
    return render_template(
        "tasks.html",
        done=done,
        groups=tasks.by_kind(shown),
        shown=len(shown),
        total=len(found),
        kind_titles=KIND_TITLES,
        subject_url=subject_url,
        age=age,
        now=utcnow(),
        changes=processes.recent_changes(db),
        late=overdue_counts(db),
    )


def overdue_counts(db) -> dict[str, int]:  # noqa: ANN001
    """How many actions, lessons reviews and process models are overdue (the PMO follows up)."""
    today = utcnow().date()
    return {
        "actions": len(overdue.list_actions(db, viewer(), today=today, overdue=True)),
        "reviews": len(overdue.list_reviews(db, today=today, overdue=True)),
        "processes": len(overdue.overdue_ids(db, "process", today)),
    }


@bp.post("/tasks/<int:task_id>/done")
@needs(CURATOR, what="mark the PMO's tasks done")
def complete_task(task_id: int):
    try:
        task = tasks.complete_task(
            current().db, task_id, viewer=viewer(), note=request.form.get("note")
        )
    except NotFound:
        abort(404)
    except Forbidden as exc:
        abort(403, description=exc.message)
    except (Conflict, ValidationError) as exc:
        flash(f"Task not marked done: {exc.message}", "error")
    else:
        title = (task.details or {}).get("title") or task.subject
        flash(f"Done: {KIND_TITLES.get(task.kind, task.kind)} — {title}.", "success")
    return redirect(url_for("web.tasks_page"), code=303)
