"""Lists of lessons, process models and guides; one document's page; its Markdown file."""

from __future__ import annotations

from flask import Response, abort, current_app, render_template, request

from kb.access_rules import READER, needs
from kb.context import current
from kb.core.time import utcnow
from kb.documents import access, services
from kb.documents import vocabulary as v
from kb.documents.kinds import BY_FOLDER, FOLDER_CONVERTER, TERM
from kb.documents.models import Document
from kb.overdue import services as overdue
from kb.params import flag_arg
from kb.processes import involvement
from kb.projects import services as projects
from kb.readmodels.documents import document_detail
from kb.readmodels.paths import path_bar
from kb.readmodels.process_governance import shown_revision
from kb.security import viewer
from kb.storage.names import document_filename
from kb.web import bp
from kb.web.overdue import lessons_late, today
from kb.web.params import args_with, filters_from, int_arg, page_arg
from kb.web.process_reviews import HEALTH_CHOICES, health_arg, with_health
from kb.web.urls import page_url

FOLDERS = FOLDER_CONVERTER
#: a lesson's page lists possible duplicates while curators decide on it
SHOW_SIMILAR = ("submitted", "in_review")
#: the lists with an "overdue" filter: lessons with an overdue action, process models past
#: their review
OVERDUE_FOLDERS = ("lessons", "processes")
#: the glossary A to Z lists every term on one page (as many as a page may hold)
ALL_TERMS = 100


def document_or_404(folder: str, doc_id: str, *, edit: bool = False) -> Document:
    """The document, if it exists, belongs to this folder (a lesson is not a guide) and the
    viewer may read it (or, with edit=True, change it); otherwise 404, so ids reveal nothing."""
    doc = services.get_readable(current().db, doc_id, viewer())
    if doc is None or doc.type != BY_FOLDER[folder].name:
        abort(404)
    if edit and not access.can_edit(viewer(), doc):
        abort(
            403,
            description="You may read this document but not change it: ask its author or a curator.",
        )
    return doc


@bp.app_template_global()
def can_edit(doc: Document) -> bool:
    """Whether the pages offer "Edit" and "Restore" on `doc` (kb.documents.access decides)."""
    return access.can_edit(viewer(), doc)


def filter_choices(folder: str) -> dict[str, list[tuple[str, str]]]:
    """(value, label) options for the select boxes of a list page."""
    kind = BY_FOLDER[folder]
    choices = {
        "topic": [(t, t.capitalize()) for t in v.TOPICS],
        "phase": [(p, p.capitalize()) for p in v.PHASES],
        "status": [(s, s.replace("_", " ").capitalize()) for s in kind.statuses],
        "polarity": [("problem", "To improve"), ("success", "Went well")],
    }
    if "project" in kind.filters:
        choices["project"] = [
            (p.key, f"{p.name} ({p.key})" if p.name != p.key else p.key)
            for p in projects.list_projects(current().db)
        ]
    return choices


@bp.get(f"/<{FOLDERS}:folder>")
@needs(READER)
def list_documents(folder: str):
    kind = BY_FOLDER[folder]
    filters = filters_from(kind.filters)
    sorts = kind.sorts
    sort = request.args.get("sort") or sorts[0][0]
    if sort not in dict(sorts):
        sort = sorts[0][0]
    late = folder in OVERDUE_FOLDERS and flag_arg("overdue")
    level = health_arg() if folder == "processes" else None
    among = overdue.overdue_ids(current().db, kind.name, today()) if late else None
    by_letter = kind is TERM and sort == "title"
    page = services.list_documents(
        current().db,
        {**filters, "type": [kind.name]},
        page=page_arg(),
        sort=sort,
        viewer=viewer(),
        among=with_health(among, level),
        per_page=ALL_TERMS if by_letter else current_app.config["KB_PER_PAGE"],
    )
    if late:
        filters = {**filters, "overdue": ["1"]}
    if level:
        filters = {**filters, "health": [level]}
    return render_template(
        "list.html",
        folder=folder,
        doc_type=kind.name,
        title=kind.title,
        new_label=kind.new_label,
        page=page,
        filters=filters,
        filter_keys=kind.filters,
        choices=filter_choices(folder),
        sorts=sorts,
        sort=sort,
        link_args=args_with(filters, sort=None if sort == sorts[0][0] else sort),
        overdue_folder=folder in OVERDUE_FOLDERS,
        overdue_lessons=lessons_late(page.items),
        health_choices=HEALTH_CHOICES if folder == "processes" else None,
        letters=by_first_letter(page.items) if by_letter else None,
    )


def by_first_letter(docs: list[Document]) -> dict[str, list[Document]]:
    """A to Z, case ignored; titles starting otherwise first, under #."""
    letters: dict[str, list[Document]] = {}
    for doc in sorted(docs, key=lambda d: d.title.casefold()):
        first = doc.title[:1].upper()
        letters.setdefault(first if "A" <= first <= "Z" else "#", []).append(doc)
    return letters


def term_href(doc_id: str) -> str:
    return page_url("web.document", folder=TERM.folder, doc_id=doc_id)


@bp.get(f"/<{FOLDERS}:folder>/<doc_id>")
@needs(READER)
def document(folder: str, doc_id: str):
    kb = current()
    detail = document_detail(
        kb.db,
        kb.index,
        doc_id,
        viewer(),
        doc_type=BY_FOLDER[folder].name,
        similar_while=SHOW_SIMILAR,
        term_href=term_href,
    )
    if detail is None:
        abort(404)
    involvement.record_view(kb.db, viewer(), detail.doc)
    kb.tally.view(detail.doc.id, utcnow())
    lesson = detail.lesson
    path_id, step_id = request.args.get("path", "")[:40], int_arg("step", 0)
    return render_template(
        "document.html",
        path_bar=path_bar(kb.db, viewer(), path_id, step_id, doc_id)
        if path_id and step_id
        else None,
        folder=folder,
        detail=detail,
        doc=detail.doc,
        lesson=lesson,
        revision=detail.revision,
        project=detail.project,
        related=detail.related,
        similar=lesson.similar if lesson else [],
        may_merge=bool(lesson and lesson.may_merge),
        recurrences=lesson.recurrences if lesson else [],
        merged=detail.merged,
        extra=detail.extra,
        in_review=lesson.in_review if lesson else None,
        process=detail.process,
        term=detail.term,
    )


@bp.get(f"/<{FOLDERS}:folder>/<doc_id>.md")
@needs(READER)
def download(folder: str, doc_id: str):
    """The current revision exactly as saved, as a file named like `kb export` names it."""
    doc = document_or_404(folder, doc_id)
    revision = services.get_revision(current().db, doc.id, shown_revision(doc, viewer()))
    response = Response(revision.markdown.encode("utf-8"), mimetype="text/markdown")
    response.headers["Content-Type"] = "text/markdown; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{document_filename(doc.id, doc.title)}"'
    )
    return response
