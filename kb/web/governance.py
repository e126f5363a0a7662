"""A process model's governance in the pages: its steps (the buttons on the model's page),
its versions and a comparison of two (kb.processes.governance, kb.processes.versions)."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for

from kb.access_rules import READER, needs
from kb.context import current
from kb.core.errors import NotFound
from kb.params import int_arg
from kb.processes import governance, roles, versions
from kb.readmodels.process_governance import process_detail
from kb.security import viewer
from kb.web import bp
from kb.web.diffs import line_diff
from kb.web.documents import document_or_404
from kb.web.lifecycle import step_taken

#: what the page says after each step
DONE = {
    "submit": "submitted for review",
    "approve": "approved by you",
    "request_changes": "back to draft with your note",
    "publish": "published",
    "retire": "retired",
}


@bp.post("/processes/<doc_id>/transitions")
@needs(READER)
def process_transition(doc_id: str):
    form = request.form
    action = form.get("action", "")

    def take() -> str:
        doc = governance.take_step(
            current().db,
            doc_id,
            action,
            viewer=viewer(),
            note=form.get("note"),
            base_version=int_arg("version", 0, source=form) or None,
        )
        return f"{doc.id} is {DONE[action]}; it is now {doc.status.replace('_', ' ')}."

    return step_taken(url_for("web.document", folder="processes", doc_id=doc_id), take)


@bp.get("/processes/<doc_id>/versions")
@needs(READER)
def process_versions(doc_id: str):
    """The versions, and the form that compares two (`?from=1&to=2`: sent to the comparison)."""
    doc = document_or_404("processes", doc_id)
    picked = request.args.get("from", "").strip(), request.args.get("to", "").strip()
    if all(picked):
        a, b = picked
        return redirect(url_for("web.process_compare", doc_id=doc.id, a=a, b=b))
    detail = process_detail(current().db, doc, viewer())
    return render_template(
        "process_versions.html",
        folder="processes",
        doc=doc,
        process=detail,
        may_see_draft=roles.takes_part(viewer(), doc),
    )


@bp.get("/processes/<doc_id>/versions/<a>/compare/<b>")
@needs(READER)
def process_compare(doc_id: str, a: str, b: str):
    doc = document_or_404("processes", doc_id)
    try:
        found = versions.compare(
            current().db, doc, a, b, draft_allowed=roles.takes_part(viewer(), doc)
        )
    except NotFound as exc:
        abort(404, description=exc.message)
    return render_template(
        "process_version_compare.html",
        folder="processes",
        doc=doc,
        a=a,
        b=b,
        found=found,
        diff=line_diff(found.old_markdown, found.new_markdown),
    )
