"""/api/search, /api/projects and /healthz."""

from __future__ import annotations

from flask import current_app, request

from kb.api import bp, schemas
from kb.context import current
from kb.core.errors import NotFound, ValidationError
from kb.documents import access
from kb.documents import services as documents
from kb.documents.kinds import NAMES
from kb.params import choice_arg, page_arg, per_page_arg
from kb.projects import services as projects
from kb.security import viewer

SEARCH_FILTERS = ("type", "topic", "phase", "project", "tag", "status", "polarity")
SORTS = ("relevance", "date")


def search_request(args) -> dict:  # noqa: ANN001
    """The query parameters shared by the search page and the API."""
    unknown = [t for t in args.getlist("type") if t not in NAMES]
    if unknown:
        raise ValidationError(
            f"`type` must be one of: {', '.join(NAMES)}; not '{unknown[0][:40]}'.", field="type"
        )
    q = args.get("q", "")
    return {
        "q": q,
        "filters": {k: args.getlist(k) for k in SEARCH_FILTERS if args.getlist(k)},
        "sort": choice_arg("sort", SORTS, "relevance" if q.strip() else "date"),
        "page": page_arg(),
        "per_page": per_page_arg(current_app.config["KB_PER_PAGE"]),
    }


@bp.get("/search")
def search():
    params = search_request(request.args)
    results = current().index.query(params.pop("q"), reader=access.reader(viewer()), **params)
    return schemas.search_json(results)


@bp.get("/projects")
def list_projects():
    return {
        "projects": [
            schemas.project_json(p.project, lessons=p.lessons, processes=p.processes)
            for p in documents.project_summaries(current().db, viewer())
        ]
    }


@bp.get("/projects/<key>")
def get_project(key: str):
    project = projects.get_project(current().db, key)
    if project is None:
        raise NotFound(f"There is no project {key}.")
    docs = documents.list_documents(
        current().db, {"project": [project.key]}, per_page=100, sort="id", viewer=viewer()
    )
    out = schemas.project_json(project)
    out["lessons"] = [schemas.document_summary(d) for d in docs.items if d.type == "lesson"]
    out["processes"] = [schemas.document_summary(d) for d in docs.items if d.type == "process"]
    return out


def healthz():
    kb = current()
    from sqlalchemy import text

    with kb.db.read() as s:
        s.execute(text("SELECT 1"))
    lag = kb.projection.lag()
    return {
        "status": "ok",
        "database": "ok",
        "index": {"documents": kb.index.doc_count(), "last_seq": kb.index.last_seq(),
                  "lag": lag, "state": "rebuilding" if lag is None else "following"},
    }  # fmt: skip
