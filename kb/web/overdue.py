"""Overdue on the pages: the "Overdue since 3 Nov 2026" marks, and /actions — every action of
the lessons the viewer may read, filtered to the open, the overdue, or their own."""

from __future__ import annotations

from datetime import date

from flask import render_template

from kb.access_rules import READER, needs
from kb.context import current
from kb.core.time import utcnow
from kb.overdue import services as overdue
from kb.params import choice_arg, flag_arg
from kb.security import viewer
from kb.web import bp
from kb.web.actions import TARGET_LABELS

STATUS_CHOICES = (("open", "Open"), ("overdue", "Overdue"), ("closed", "Closed"), ("any", "Any"))


def today() -> date:
    """Overdue is decided on the UTC day, as the worker's sweep decides it."""
    return utcnow().date()


@bp.app_template_global()
def late(due: date | None) -> date | None:
    """`due` when it has passed (the mark says "Overdue since <due>"), else None."""
    return due if due is not None and due < today() else None


def lessons_late(docs) -> dict[str, date]:  # noqa: ANN001
    """For a list of documents: lesson id -> the due date of its oldest overdue action."""
    ids = [d.id for d in docs if d.type == "lesson"]
    return overdue.lessons_overdue_since(current().db, today(), ids) if ids else {}


@bp.get("/actions")
@needs(READER)
def actions_page():
    status = choice_arg("status", tuple(k for k, _ in STATUS_CHOICES), "open")
    mine = flag_arg("mine") and not viewer().is_anonymous
    rows = overdue.list_actions(
        current().db,
        viewer(),
        today=today(),
        overdue=status == "overdue",
        status="any" if status == "overdue" else status,
        owner=viewer().username if mine else None,
    )
    return render_template(
        "actions.html",
        rows=rows,
        status=status,
        mine=mine,
        status_choices=STATUS_CHOICES,
        target_labels=TARGET_LABELS,
    )
