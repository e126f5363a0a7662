"""/api/lessons, /api/processes, /api/guides: list, get, create, update, revisions."""

from __future__ import annotations

from flask import request, url_for

from kb.access_rules import CONTRIBUTOR, READER, UNNAMED, needs
from kb.api import bp
from kb.api.models.actions import Action
from kb.api.models.documents import (
    DETAILS,
    DocumentList,
    DocumentWrite,
    LessonDetail,
    ListQuery,
    Preview,
    PreviewWrite,
    Revision,
    RevisionList,
    summary_of,
)
from kb.api.models.processes import ProcessLink
from kb.api.models.recurrence import Recurrence, Related, Similar
from kb.api.spec import contract, parsed_body, parsed_query
from kb.context import current
from kb.core.errors import Forbidden, KbError, NotFound, ValidationError
from kb.core.time import utcnow
from kb.documents import access, glossary, records, references, services
from kb.documents.kinds import KINDS
from kb.overdue import services as overdue
from kb.overdue.health import health_ids
from kb.params import FLAGS, ID_MAX
from kb.processes import links
from kb.readmodels.documents import DocumentDetail, lesson_detail
from kb.readmodels.process_governance import shown_revision
from kb.security import viewer

FILTERS = ("topic", "phase", "project", "tag", "status", "polarity")


class PreconditionRequired(KbError, status=428, code="version_required"):
    """A change that does not say which version it edited."""


def source_from(body: DocumentWrite, doc_type: str) -> str:
    """Either `{"markdown": ...}` or the fields as JSON with the Markdown `body`."""
    if body.markdown is not None:
        return body.markdown
    not_fields = {"body", "version", "message"} | (
        {"type"} if isinstance(body, PreviewWrite) else set()
    )
    fields = body.model_dump(exclude_unset=True, exclude=not_fields)
    # `version` in the API is the revision being edited; a process model's own version is
    # `model_version` (front matter `version`)
    if "model_version" in fields:
        fields["version"] = fields.pop("model_version")
    return records.source_from_fields(doc_type, fields, body.body or "")


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


def full(doc):  # noqa: ANN001, ANN201
    """A document as the viewer may see it (what a merged lesson was merged into, when they
    may read that; a process model's published version to its readers while the next one is
    drafted)."""
    db = current().db
    revision = services.get_revision(db, doc.id, shown_revision(doc, viewer()))
    out = DETAILS[doc.type].of(doc, revision, references.merged_into(db, doc, viewer()))
    if revision.number != doc.version:  # the published version, not the draft's status
        out.status = "published"
    return out


def _list(doc_type: str):
    query = parsed_query()
    filters = {k: getattr(query, k) for k in FILTERS}
    filters["type"] = [doc_type]
    among = None
    if doc_type in ("lesson", "process") and FLAGS[query.overdue]:
        among = overdue.overdue_ids(current().db, doc_type, utcnow().date())
    if doc_type == "process" and query.health:
        ids = health_ids(current().db, query.health, utcnow().date())
        among = ids if among is None else sorted(set(among) & set(ids))
    page = services.list_documents(
        current().db,
        filters,
        page=query.page,
        per_page=query.per_page,
        sort=query.sort,
        viewer=viewer(),
        among=among,
    )
    return DocumentList(
        total=page.total,
        page=page.page,
        per_page=page.per_page,
        pages=page.pages,
        items=[summary_of(d) for d in page.items],
    )


def _get(doc_type: str, doc_id: str):
    kb = current()
    if doc_type == "process":
        out = full(doc := get_or_404(doc_type, doc_id))
        found = links.links_of_model(kb.db, doc, viewer())
        out.lesson_links = [ProcessLink.of(link) for link in found]
    elif doc_type != "lesson":
        out = full(get_or_404(doc_type, doc_id))
    else:
        detail = lesson_detail(kb.db, kb.index, doc_id, viewer())
        if detail is None:
            raise NotFound(f"There is no lesson {doc_id}.")
        out = lesson_of(detail)
    # as the page shows it: the first use of each glossary term the reader may read linked
    out.html = glossary.link_terms(kb.db, viewer(), out.html, _term_page, own=out.id)
    return out


def _term_page(doc_id: str) -> str:
    return url_for("web.document", folder="glossary", doc_id=doc_id)


def lesson_of(detail: DocumentDetail) -> LessonDetail:
    """A lesson with its actions, the statuses the viewer may move it to, possible duplicates
    (for its author and curators), recurrences and related documents."""
    lesson = detail.lesson
    out = LessonDetail.of(detail.doc, detail.revision, detail.merged)
    out.actions = [Action.of(item.action, may_close=item.may_close) for item in lesson.actions]
    out.transitions = [step.to for step in lesson.steps]
    out.similar = [
        Similar(
            id=x.doc.id,
            title=x.doc.title,
            status=x.doc.status,
            project=x.doc.project_key,
            score=x.score,
        )
        for x in lesson.similar
    ]
    out.process_links = [ProcessLink.of(link) for link in lesson.process_links]
    out.recurrence_count = lesson.recurrence_count
    out.recurrences = [
        Recurrence(
            direction=r.direction,
            id=r.other.id,
            title=r.other.title,
            status=r.other.status,
            project=r.other.project_key,
            score=r.score,
            detected_at=r.detected_at,
        )
        for r in lesson.recurrences
    ]
    out.related = [
        Related(
            id=h.id,
            type=h.type,
            title=h.title,
            status=h.status,
            project=h.project,
            score=round(h.score, 4),
        )
        for h in detail.related
    ]
    return out


def _create(doc_type: str):
    body = parsed_body()
    doc = services.create_document(
        current().db,
        source_from(body, doc_type),
        actor=viewer().actor,
        type_hint=doc_type,
        created_by=viewer().username,
        require_type=doc_type,
        message=body.message,
    )
    return full(doc), 201, {"Location": url_for(f"api.get_{doc_type}", doc_id=doc.id)}


def _update(doc_type: str, doc_id: str):
    get_or_404(doc_type, doc_id, edit=True)
    body = parsed_body()
    version = body.version
    if version is None:
        version = _if_match()
    doc = services.update_document(
        current().db,
        doc_id,
        source_from(body, doc_type),
        base_version=version,
        actor=viewer().actor,
        message=body.message,
    )
    return full(doc)


def _if_match() -> int:
    raw = request.headers.get("If-Match", "").strip('"')
    if not raw:
        raise PreconditionRequired(
            "Say which version you edited: send `version` (from GET) in the body or an If-Match "
            "header, so that nobody's change is overwritten."
        )
    if not raw.isdigit() or not 1 <= int(raw) <= ID_MAX:
        raise ValidationError(f"`version` is a whole number from 1 to {ID_MAX:,}.", field="version")
    return int(raw)


def _revisions(doc_type: str, doc_id: str):
    doc = get_or_404(doc_type, doc_id)
    found = services.list_revisions(current().db, doc_id, viewer=viewer())
    last = shown_revision(doc, viewer())  # a reader: not the drafts after the published one
    return RevisionList(revisions=[Revision.of(r) for r in found if r.number <= last])


def _revision(doc_type: str, doc_id: str, number: int):
    doc = get_or_404(doc_type, doc_id)
    rev = services.get_revision(current().db, doc_id, number, viewer=viewer())
    if rev is None or number > shown_revision(doc, viewer()):
        raise NotFound(f"{doc_id} has no revision {number}.")
    return Revision.of(rev, with_markdown=True)


def _register(collection: str, doc_type: str) -> None:
    base, detail, kind = (
        f"/{collection}",
        DETAILS[doc_type],
        doc_type.replace("process", "process model"),
    )

    def bind(view, name, summary, need=READER, what=UNNAMED, **contract_):  # 3 collections
        @needs(need, what=what)
        def endpoint(**kw):
            return view(doc_type, **kw)

        endpoint.__name__ = f"{name}_{doc_type}"
        endpoint.__doc__ = summary
        return contract(**contract_)(endpoint)

    written = {
        "HTTP_409": "Edited by someone else meanwhile (the answer names the version)",
        "HTTP_422": "Cannot be rendered within limits, or names a project the register does not "
        "hold (`field`: `project`, `details.suggestions`: the nearest registered keys)",
    }
    bp.add_url_rule(
        base,
        view_func=bind(
            _list,
            "list",
            f"List {collection} with filters",
            ok=(200, DocumentList),
            query=ListQuery,
        ),
        methods=["GET"],
    )
    bp.add_url_rule(
        base,
        view_func=bind(
            _create,
            "create",
            f"Create a {kind}",
            need=CONTRIBUTOR,
            what="write documents",
            ok=(201, detail),
            json=DocumentWrite,
            errors=(409, 422),
            **written,
        ),
        methods=["POST"],
    )
    bp.add_url_rule(
        f"{base}/<doc_id>",
        view_func=bind(
            _get, "get", f"One {kind} with its Markdown and HTML", ok=(200, detail), errors=(404,)
        ),
        methods=["GET"],
    )
    bp.add_url_rule(
        f"{base}/<doc_id>",
        view_func=bind(
            _update,
            "update",
            f"Save a new revision of a {kind}",
            need=CONTRIBUTOR,
            what="change documents",
            ok=(200, detail),
            json=DocumentWrite,
            errors=(404, 409, 422, 428),
            **written,
        ),
        methods=["PUT"],
    )
    bp.add_url_rule(
        f"{base}/<doc_id>/revisions",
        view_func=bind(
            _revisions,
            "revisions",
            f"Revision history of a {kind}",
            ok=(200, RevisionList),
            errors=(404,),
        ),
    )
    bp.add_url_rule(
        f"{base}/<doc_id>/revisions/<int:number>",
        view_func=bind(
            _revision,
            "revision",
            "One revision with its Markdown",
            ok=(200, Revision),
            errors=(404,),
        ),
    )


for _kind in KINDS:
    _register(_kind.folder, _kind.name)


@bp.post("/preview")
@contract(ok=(200, Preview), json=PreviewWrite, errors=(422,))
@needs(CONTRIBUTOR, what="preview documents")
def preview():
    """Render Markdown as kb would show it, without saving (used by the edit form)"""
    body = parsed_body()
    prepared = services.preview(source_from(body, body.type), type_hint=body.type)
    return Preview(html=prepared.rendered.html, title=prepared.record.columns["title"])
