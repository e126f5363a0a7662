"""A document's revisions: the list, one old revision, a diff of two, restoring one."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from kb.access_rules import CONTRIBUTOR, READER, needs
from kb.context import current
from kb.core.errors import Conflict, ValidationError
from kb.documents import services
from kb.readmodels.process_governance import shown_revision
from kb.security import viewer
from kb.web import bp
from kb.web.diffs import line_diff
from kb.web.documents import FOLDERS, document_or_404
from kb.web.params import int_arg


def _revision_or_404(doc, number: int):  # noqa: ANN001
    """Revision `number` of `doc`; 404 also for a process model's draft after its published
    version, to a reader (kb.processes.roles.shown_revision)."""
    revision = services.get_revision(current().db, doc.id, number, viewer=viewer())
    if revision is None or number > shown_revision(doc, viewer()):
        abort(404)
    return revision


@bp.get(f"/<{FOLDERS}:folder>/<doc_id>/history")
@needs(READER)
def history(folder: str, doc_id: str):
    doc = document_or_404(folder, doc_id)
    last = shown_revision(doc, viewer())
    revisions = [
        r
        for r in services.list_revisions(current().db, doc.id, viewer=viewer())
        if r.number <= last
    ]
    return render_template("history.html", folder=folder, doc=doc, revisions=revisions)


@bp.get(f"/<{FOLDERS}:folder>/<doc_id>/diff")
@needs(READER)
def diff(folder: str, doc_id: str):
    doc = document_or_404(folder, doc_id)
    last = shown_revision(doc, viewer())
    a, b = int_arg("a", last - 1 or 1), int_arg("b", last)
    if a > b:  # always show older -> newer, whichever order the boxes were ticked in
        a, b = b, a
    old, new = _revision_or_404(doc, a), _revision_or_404(doc, b)
    return render_template(
        "diff.html",
        folder=folder,
        doc=doc,
        old=old,
        new=new,
        diff=line_diff(old.markdown, new.markdown),
    )


@bp.get(f"/<{FOLDERS}:folder>/<doc_id>/revisions/<int:number>")
@needs(READER)
def revision(folder: str, doc_id: str, number: int):
    doc = document_or_404(folder, doc_id)
    rev = _revision_or_404(doc, number)
    return render_template("revision.html", folder=folder, doc=doc, revision=rev)


@bp.post(f"/<{FOLDERS}:folder>/<doc_id>/revisions/<int:number>/restore")
@needs(CONTRIBUTOR, what="restore an earlier revision")
def restore(folder: str, doc_id: str, number: int):
    doc = document_or_404(folder, doc_id, edit=True)
    try:
        version = int_arg("version", 0, source=request.form)
        if version < 1:
            raise ValidationError("The form lost the version you were looking at; reload the page.")
        services.restore_revision(
            current().db, doc.id, number, base_version=version, actor=viewer().actor
        )
    except (Conflict, ValidationError) as exc:
        flash(f"Not restored: {exc.message}", "error")
        return redirect(url_for("web.history", folder=folder, doc_id=doc.id), code=303)
    flash(f"Restored revision {number} of {doc.id} as a new revision.", "success")
    return redirect(url_for("web.document", folder=folder, doc_id=doc.id), code=303)
