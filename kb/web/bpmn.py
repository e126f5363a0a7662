"""The upload form of a BPMN file on the process pages (kb.processes.exchange)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for

from kb.access_rules import CONTRIBUTOR, needs
from kb.context import current
from kb.core.errors import Conflict, Forbidden, NotFound, TooLarge, ValidationError
from kb.processes import exchange
from kb.security import viewer
from kb.web import bp


@bp.post("/processes/bpmn")
@needs(CONTRIBUTOR, what="import process models")
def import_bpmn():
    """A new draft model from the file, or (form field `model`) a model's steps replaced."""
    into = (request.form.get("model") or "").strip() or None
    back = (
        url_for("web.document", folder="processes", doc_id=into)
        if into
        else url_for("web.list_documents", folder="processes")
    )
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Choose a BPMN file (.bpmn) to import.", "error")
        return redirect(back, code=303)
    try:
        outcome = exchange.import_model(current().db, upload.read(), viewer=viewer(), into=into)
    except NotFound:
        abort(404)
    except Forbidden as exc:
        abort(403, description=exc.message)
    except (Conflict, TooLarge, ValidationError) as exc:
        flash(f"Not imported: {exc.message}", "error")
        return redirect(back, code=303)
    doc = outcome.doc
    verb = "Imported as" if outcome.created else "Steps replaced in"
    flash(f"{verb} {doc.id} ({outcome.steps} steps).", "success")
    for line in outcome.report:
        flash(f"Not represented: {line}", "info")
    return redirect(url_for("web.document", folder="processes", doc_id=doc.id), code=303)
