"""A lesson's actions in the pages: the Actions box on a lesson and its forms."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for

from kb.access_rules import CURATOR, USER, needs
from kb.actions import services as actions
from kb.context import current
from kb.core.errors import Conflict, Forbidden, NotFound, ValidationError
from kb.security import viewer
from kb.web import bp

TARGET_LABELS = {
    "process_model": "Process model",
    "template": "Template",
    "checklist": "Checklist",
    "training": "Training",
    "policy": "Policy",
    "none": "No action",
}


# the Actions box on a lesson's page (its data: kb.readmodels.documents)
bp.add_app_template_global(TARGET_LABELS, "TARGET_LABELS")
bp.add_app_template_global(actions.ACTION_KINDS, "ACTION_KINDS")


def _back(doc_id: str):
    return redirect(url_for("web.document", folder="lessons", doc_id=doc_id), code=303)


@bp.post("/lessons/<doc_id>/actions")
@needs(CURATOR, what="add actions to lessons")
def add_lesson_action(doc_id: str):
    form = request.form
    db = current().db
    try:
        if form.get("no_action"):
            actions.no_action(db, doc_id, viewer=viewer(), rationale=form.get("rationale"))
            message = f"{doc_id} needs no action; it is now actioned."
        else:
            action = actions.add_action(
                db,
                doc_id,
                viewer=viewer(),
                description=form.get("description"),
                owner=form.get("owner"),
                due_on=form.get("due_on"),
                target_kind=form.get("target_kind"),
                target_ref=form.get("target_ref"),
            )
            message = f"Action {action.id} added."
    except NotFound:
        abort(404)
    except Forbidden as exc:
        abort(403, description=exc.message)
    except (Conflict, ValidationError) as exc:
        flash(f"Action not added: {exc.message}", "error")
        return _back(doc_id)
    flash(message, "success")
    return _back(doc_id)


@bp.post("/actions/<int:action_id>/close")
@needs(USER)  # the action's owner or a curator, per action (kb.actions)
def close_action(action_id: int):
    db = current().db
    try:
        action = actions.get_action(db, action_id, viewer=viewer())
        actions.close_action(db, action_id, viewer=viewer(), note=request.form.get("note"))
    except NotFound:
        abort(404)
    except Forbidden as exc:
        abort(403, description=exc.message)
    except (Conflict, ValidationError) as exc:
        flash(f"Action not closed: {exc.message}", "error")
        return _back(action.lesson_id)
    flash(f"Action {action_id} closed.", "success")
    return _back(action.lesson_id)
