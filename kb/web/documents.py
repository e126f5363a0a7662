"""Lists of lessons, process models and guides; one document's page; its Markdown file."""

from __future__ import annotations

from flask import Response, abort, current_app, render_template, request

from kb.context import current
from kb.documents import access, lifecycle, references, services
from kb.documents import vocabulary as v
from kb.documents.models import Document
from kb.projects import services as projects
from kb.recurrence import services as recurrence
from kb.reviews import drafts
from kb.security import viewer
from kb.storage.names import document_filename
from kb.web import bp
from kb.web.params import args_with, filters_from, page_arg
from kb.web.present import FOLDER_TITLES, NEW_LABELS

FOLDERS = "any(lessons, processes, guides)"
#: a lesson's page lists possible duplicates while curators decide on it
SHOW_SIMILAR = ("submitted", "in_review")
#: the filters that mean something for each kind of document
FOLDER_FILTERS = {
    "lessons": ("topic", "phase", "project", "tag", "status", "polarity"),
    "processes": ("topic", "phase", "project", "tag", "status"),
    "guides": ("topic", "tag", "status"),
}
SORTS = {
    "lessons": (("updated", "Recently changed"), ("title", "Title"), ("id", "Id")),
    "processes": (("updated", "Recently changed"), ("title", "Title"), ("id", "Id")),
    "guides": (("order", "Reading order"), ("updated", "Recently changed"), ("title", "Title")),
}


def document_or_404(folder: str, doc_id: str, *, edit: bool = False) -> Document:
    """The document, if it exists, belongs to this folder (a lesson is not a guide) and the
    viewer may read it (or, with edit=True, change it); otherwise 404, so ids reveal nothing."""
    doc = services.get_readable(current().db, doc_id, viewer())
    if doc is None or doc.type != v.TYPE_BY_FOLDER[folder]:
        abort(404)
    if edit and not access.can_edit(viewer(), doc):
        abort(
            403,
            description="You may read this document but not change it: ask its author or a curator.",
        )
    return doc


def filter_choices(folder: str) -> dict[str, list[tuple[str, str]]]:
    """(value, label) options for the select boxes of a list page."""
    doc_type = v.TYPE_BY_FOLDER[folder]
    choices = {
        "topic": [(t, t.capitalize()) for t in v.TOPICS],
        "phase": [(p, p.capitalize()) for p in v.PHASES],
        "status": [(s, s.replace("_", " ").capitalize()) for s in v.STATUSES[doc_type]],
        "polarity": [("problem", "To improve"), ("success", "Went well")],
    }
    if "project" in FOLDER_FILTERS[folder]:
        choices["project"] = [
            (p.key, f"{p.name} ({p.key})" if p.name != p.key else p.key)
            for p in projects.list_projects(current().db)
        ]
    return choices


@bp.get(f"/<{FOLDERS}:folder>")
def list_documents(folder: str):
    doc_type = v.TYPE_BY_FOLDER[folder]
    filters = filters_from(FOLDER_FILTERS[folder])
    sorts = SORTS[folder]
    sort = request.args.get("sort") or sorts[0][0]
    if sort not in dict(sorts):
        sort = sorts[0][0]
    page = services.list_documents(
        current().db, {**filters, "type": [doc_type]}, page=page_arg(), sort=sort,
        viewer=viewer(),
        per_page=current_app.config["KB_PER_PAGE"],
    )  # fmt: skip
    return render_template(
        "list.html",
        folder=folder,
        doc_type=doc_type,
        title=FOLDER_TITLES[folder],
        new_label=NEW_LABELS[folder],
        page=page,
        filters=filters,
        filter_keys=FOLDER_FILTERS[folder],
        choices=filter_choices(folder),
        sorts=sorts,
        sort=sort,
        link_args=args_with(filters, sort=None if sort == sorts[0][0] else sort),
    )


@bp.get(f"/<{FOLDERS}:folder>/<doc_id>")
def document(folder: str, doc_id: str):
    doc = document_or_404(folder, doc_id)
    revision = services.get_revision(current().db, doc.id)
    try:
        related = current().index.more_like(doc.id, limit=5, reader=access.reader(viewer()))
    except Exception:  # noqa: BLE001 - related documents are a nicety; the page must show
        current_app.logger.warning("related documents for %s failed", doc.id, exc_info=True)
        related = []
    project = projects.get_project(current().db, doc.project_key) if doc.project_key else None
    similar, recurrences, may_merge = [], [], False
    if doc.type == "lesson":
        if doc.status in SHOW_SIMILAR:
            similar = recurrence.find_similar(current().db, current().index, doc, viewer())
            may_merge = "merged" in lifecycle.allowed_transitions(viewer(), doc)
        recurrences = recurrence.recurrences(current().db, doc.id, viewer())[1]
    merged = references.merged_into(current().db, doc, viewer())
    in_review = drafts.review_to_complete(current().db, viewer(), doc)
    return render_template(
        "document.html", folder=folder, doc=doc, revision=revision, related=related,
        project=project, similar=similar, may_merge=may_merge, recurrences=recurrences,
        merged=merged, extra=references.visible_extra(doc, merged), in_review=in_review,
    )  # fmt: skip


@bp.get(f"/<{FOLDERS}:folder>/<doc_id>.md")
def download(folder: str, doc_id: str):
    """The current revision exactly as saved, as a file named like `kb export` names it."""
    doc = document_or_404(folder, doc_id)
    revision = services.get_revision(current().db, doc.id)
    response = Response(revision.markdown.encode("utf-8"), mimetype="text/markdown")
    response.headers["Content-Type"] = "text/markdown; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{document_filename(doc.id, doc.title)}"'
    )
    return response
