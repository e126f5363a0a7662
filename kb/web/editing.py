"""Writing: the new-document form and the edit form (save, preview, conflicts)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from kb.access_rules import CONTRIBUTOR, needs
from kb.context import current
from kb.core.errors import Conflict, KbError, ValidationError
from kb.documents import services
from kb.documents.kinds import BY_FOLDER
from kb.documents.models import Document
from kb.security import viewer
from kb.web import bp
from kb.web.diffs import line_diff
from kb.web.documents import FOLDERS, document_or_404
from kb.web.params import int_arg
from kb.web.present import document_url, type_label
from kb.web.starters import HINTS, starter

NOTE_MAX = 300


def _form() -> tuple[str, str, str]:
    """The posted Markdown (line endings as a textarea sends them: CRLF), note and action."""
    source = request.form.get("markdown", "").replace("\r\n", "\n")
    note = request.form.get("message", "").strip()[:NOTE_MAX]
    return source, note, request.form.get("action", "save")


def _render_form(status: int = 200, **context):
    context.setdefault("error", None)
    context.setdefault("problems", [])
    context.setdefault("preview_html", None)
    return render_template("edit.html", hint=HINTS[context["doc_type"]], **context), status


def _failed(exc: KbError, **context):
    problems = exc.details.get("problems", []) if isinstance(exc.details, dict) else []
    return _render_form(exc.status, error=exc.message, problems=problems, **context)


def page_context(folder: str, endpoint: str, doc: Document | None = None, **urls: str) -> dict:
    """What both editors' pages need: a new document of the folder's kind, or `doc`; the form
    posts to `endpoint`; `urls`: more links by name (the form editor's "Edit as Markdown")."""
    kind = BY_FOLDER[folder]
    ids = {"folder": folder} if doc is None else {"folder": folder, "doc_id": doc.id}
    return dict(
        mode="new" if doc is None else "edit",
        folder=folder,
        doc_type=kind.name if doc is None else doc.type,
        doc=doc,
        heading=kind.new_label if doc is None else f"Edit {doc.id}",
        action_url=url_for(endpoint, **ids),
        **{name: url_for(target, **ids) for name, target in urls.items()},
    )


def create(source: str, doc_type: str, note: str) -> Document:
    """A new document, written by the viewer."""
    who = viewer()
    return services.create_document(
        current().db,
        source,
        actor=who.actor,
        type_hint=doc_type,
        message=note,
        created_by=who.username,
    )


def to_document(doc: Document, message: str, category: str = "success"):
    """Back to the document's page, with what happened."""
    flash(message, category)
    return redirect(document_url(doc.type, doc.id), code=303)


def _preview(source: str, **context):
    try:
        prepared = services.preview(source, type_hint=context["doc_type"])
    except KbError as exc:
        return _failed(exc, **context)
    return _render_form(preview_html=prepared.rendered.html, **context)


@bp.route(f"/<{FOLDERS}:folder>/new", methods=["GET", "POST"])
@needs(CONTRIBUTOR, what="write documents")
def new_document(folder: str):
    context = page_context(folder, "web.new_document")
    doc_type = context["doc_type"]
    if request.method == "GET":
        return _render_form(markdown=starter(doc_type), message="", **context)
    source, note, action = _form()
    context.update(markdown=source, message=note)
    if action == "preview":
        return _preview(source, **context)
    try:
        doc = create(source, doc_type, note)
    except KbError as exc:
        return _failed(exc, **context)
    # The front matter decides the type: a `type: process` written on /lessons/new is a process.
    return to_document(doc, f"{type_label(doc.type)} {doc.id} created.")


@bp.route(f"/<{FOLDERS}:folder>/<doc_id>/edit", methods=["GET", "POST"])
@needs(CONTRIBUTOR, what="change documents")
def edit_document(folder: str, doc_id: str):
    doc = document_or_404(folder, doc_id, edit=True)
    context = page_context(folder, "web.edit_document", doc)
    if request.method == "GET":
        revision = services.get_revision(current().db, doc.id)
        return _render_form(markdown=revision.markdown, message="", version=doc.version, **context)
    source, note, action = _form()
    context.update(markdown=source, message=note, version=request.form.get("version", ""))
    try:
        version = int_arg("version", 0, source=request.form)
        if version < 1:
            raise ValidationError("The form lost the version you edited; reload the page.")
    except ValidationError as exc:
        return _failed(exc, **context)
    context["version"] = version
    if action == "preview":
        return _preview(source, **context)
    try:
        services.update_document(
            current().db, doc.id, source, base_version=version, actor=viewer().actor, message=note
        )
    except Conflict as exc:
        return _conflict(exc, doc_id=doc.id, base_version=version, **context)
    except KbError as exc:
        return _failed(exc, **context)
    return to_document(doc, f"Saved {doc.id}.")


def _conflict(exc: Conflict, *, doc_id: str, base_version: int, **context):
    """Someone saved first: keep this person's text and show what the other person changed."""
    db = current().db
    latest = services.get_revision(db, doc_id, viewer=viewer())
    base = services.get_revision(db, doc_id, base_version, viewer=viewer())
    diff = line_diff(base.markdown, latest.markdown) if base and latest else None
    context.update(version=latest.number if latest else base_version)
    body = render_template(
        "conflict.html",
        error=exc.message,
        base=base,
        latest=latest,
        diff=diff,
        hint=HINTS[context["doc_type"]],
        **context,
    )
    return body, 409
