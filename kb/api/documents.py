"""/api/lessons, /api/processes, /api/guides: list, get, create, update, revisions."""

from __future__ import annotations

from flask import request, url_for

from kb.actions import services as actions
from kb.api import bp, schemas
from kb.api.body import read_object
from kb.context import current
from kb.core.errors import Forbidden, KbError, NotFound, ValidationError
from kb.documents import access, records, references, services
from kb.documents.kinds import KINDS
from kb.documents.services import LIST_FILTERS
from kb.params import ID_MAX, page_arg, per_page_arg
from kb.readmodels.documents import DocumentDetail, lesson_detail
from kb.security import viewer


class PreconditionRequired(KbError):
    status = 428
    code = "version_required"


def source_from(body: dict, doc_type: str) -> str:
    """Either `{"markdown": ...}` or the fields as JSON with the Markdown `body`."""
    if "markdown" in body:
        if not isinstance(body["markdown"], str):
            raise ValidationError("`markdown` must be a string.", field="markdown")
        return body["markdown"]
    fields = {k: x for k, x in body.items() if k not in ("body", "version", "message")}
    # `version` in the API is the revision being edited; a process model's own version is
    # `model_version` (front matter `version`)
    if "model_version" in fields:
        fields["version"] = fields.pop("model_version")
    text = body.get("body", "")
    if not isinstance(text, str):
        raise ValidationError("`body` must be a string of Markdown.", field="body")
    return records.source_from_fields(doc_type, fields, text)


def get_or_404(doc_type: str, doc_id: str, *, edit: bool = False):
    """The document if the caller may read it (or change it); absent and hidden look alike."""
    doc = services.get_readable(current().db, doc_id, viewer())
    if doc is None or doc.type != doc_type:
        raise NotFound(f"There is no {doc_type} {doc_id}.")
    if edit and not access.can_edit(viewer(), doc):
        raise Forbidden(
            "You may read this document but not change it: ask its author or a curator."
        )
    return doc


def _list(doc_type: str):
    filters = {k: request.args.getlist(k) for k in LIST_FILTERS if k != "type"}
    filters["type"] = [doc_type]
    page = services.list_documents(
        current().db, filters, page=page_arg(), per_page=per_page_arg(20),
        sort=request.args.get("sort", "updated"), viewer=viewer(),
    )  # fmt: skip
    return {
        "total": page.total, "page": page.page, "per_page": page.per_page, "pages": page.pages,
        "items": [schemas.document_summary(d) for d in page.items],
    }  # fmt: skip


def full(doc) -> dict:  # noqa: ANN001
    """A document as JSON for the viewer (what a merged lesson was merged into, when they may
    read that)."""
    db = current().db
    return schemas.document_full(doc, services.get_revision(db, doc.id),
                                 references.merged_into(db, doc, viewer()))  # fmt: skip


def _get(doc_type: str, doc_id: str):
    if doc_type != "lesson":
        return full(get_or_404(doc_type, doc_id))
    kb = current()
    detail = lesson_detail(kb.db, kb.index, doc_id, viewer())
    if detail is None:
        raise NotFound(f"There is no lesson {doc_id}.")
    return lesson_json(detail)


def action_out(action, may_close: bool) -> dict:  # noqa: ANN001
    return {**actions.action_json(action), "may_close": may_close}


def lesson_json(detail: DocumentDetail) -> dict:
    """A lesson with its actions, the statuses the viewer may move it to, possible duplicates
    (for its author and curators), recurrences and related documents."""
    lesson = detail.lesson
    return {
        **schemas.document_full(detail.doc, detail.revision, detail.merged),
        "actions": [action_out(item.action, item.may_close) for item in lesson.actions],
        "transitions": [step.to for step in lesson.steps],
        "similar": [{"id": x.doc.id, "title": x.doc.title, "status": x.doc.status,
                     "project": x.doc.project_key, "score": x.score} for x in lesson.similar],
        "recurrence_count": lesson.recurrence_count,
        "recurrences": [{"direction": r.direction, "id": r.other.id, "title": r.other.title,
                         "status": r.other.status, "project": r.other.project_key,
                         "score": r.score, "detected_at": r.detected_at.isoformat()}
                        for r in lesson.recurrences],
        "related": [{"id": h.id, "type": h.type, "title": h.title, "status": h.status,
                     "project": h.project, "score": round(h.score, 4)} for h in detail.related],
    }  # fmt: skip


def _create(doc_type: str):
    body = read_object(request)
    doc = services.create_document(
        current().db, source_from(body, doc_type), actor=viewer().actor, type_hint=doc_type, created_by=viewer().username,
        require_type=doc_type, message=str(body.get("message", ""))[:300],
    )  # fmt: skip
    out = full(doc)
    return out, 201, {"Location": url_for(f"api.get_{doc_type}", doc_id=doc.id)}


def _update(doc_type: str, doc_id: str):
    get_or_404(doc_type, doc_id, edit=True)
    body = read_object(request)
    version = body.get("version", request.headers.get("If-Match", "").strip('"') or None)
    if version is None:
        raise PreconditionRequired(
            "Say which version you edited: send `version` (from GET) in the body or an If-Match "
            "header, so that nobody's change is overwritten."
        )
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise ValidationError("`version` must be a whole number.", field="version") from None
    if not 1 <= version <= ID_MAX:
        raise ValidationError(f"`version` is between 1 and {ID_MAX:,}.", field="version")
    doc = services.update_document(
        current().db, doc_id, source_from(body, doc_type), base_version=version, actor=viewer().actor,
        message=str(body.get("message", ""))[:300],
    )  # fmt: skip
    return full(doc)


def _revisions(doc_type: str, doc_id: str):
    get_or_404(doc_type, doc_id)
    return {
        "revisions": [
            schemas.revision_summary(r)
            for r in services.list_revisions(current().db, doc_id, viewer=viewer())
        ]
    }


def _revision(doc_type: str, doc_id: str, number: int):
    get_or_404(doc_type, doc_id)
    rev = services.get_revision(current().db, doc_id, number, viewer=viewer())
    if rev is None:
        raise NotFound(f"{doc_id} has no revision {number}.")
    return schemas.revision_summary(rev, with_markdown=True)


def _register(collection: str, doc_type: str) -> None:
    base = f"/{collection}"

    def bind(view, name):  # a closure per collection keeps one implementation for all three
        def endpoint(**kw):
            return view(doc_type, **kw)

        endpoint.__name__ = f"{name}_{doc_type}"
        return endpoint

    bp.add_url_rule(base, view_func=bind(_list, "list"), methods=["GET"])
    bp.add_url_rule(base, view_func=bind(_create, "create"), methods=["POST"])
    bp.add_url_rule(f"{base}/<doc_id>", view_func=bind(_get, "get"), methods=["GET"])
    bp.add_url_rule(f"{base}/<doc_id>", view_func=bind(_update, "update"), methods=["PUT"])
    bp.add_url_rule(f"{base}/<doc_id>/revisions", view_func=bind(_revisions, "revisions"))
    bp.add_url_rule(
        f"{base}/<doc_id>/revisions/<int:number>", view_func=bind(_revision, "revision")
    )


for _kind in KINDS:
    _register(_kind.folder, _kind.name)


@bp.post("/preview")
def preview():
    """Render Markdown as kb would show it, without saving (used by the edit form)."""
    body = read_object(request)
    doc_type = body.pop("type", "lesson")  # not a field: which fields the others are
    if not isinstance(doc_type, str):
        raise ValidationError("`type` is lesson, process or guide.", field="type")
    prepared = services.preview(source_from(body, doc_type), type_hint=doc_type)
    return {"html": prepared.rendered.html, "title": prepared.record.columns["title"]}
