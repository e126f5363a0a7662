"""/api/search, /api/projects and /healthz."""

from __future__ import annotations

from flask import current_app

from kb.access_rules import PUBLIC, READER, needs
from kb.api import bp
from kb.api.models.documents import summary_of
from kb.api.models.search import (
    Project,
    ProjectCounted,
    ProjectDetail,
    ProjectList,
    SearchAnswer,
    SearchQuery,
)
from kb.api.spec import contract, parsed_query
from kb.context import current
from kb.core.errors import NotFound
from kb.core.time import utcnow
from kb.documents import access
from kb.documents import services as documents
from kb.projects import services as projects
from kb.security import viewer

FILTERS = ("type", "topic", "phase", "project", "tag", "status", "polarity")


@bp.get("/search")
@contract(ok=(200, SearchAnswer), query=SearchQuery)
@needs(READER)
def search():
    """Full-text search with facets (at most 500 characters)"""
    query = parsed_query()
    filters = {k: getattr(query, k) for k in FILTERS if getattr(query, k)}
    results = current().index.query(
        query.q,
        reader=access.reader(viewer()),
        filters=filters,
        sort=query.sort or ("relevance" if query.q.strip() else "date"),
        page=query.page,
        per_page=query.per_page or current_app.config["KB_PER_PAGE"],
    )
    if query.page == 1:
        current().tally.search(query.q, results.total, utcnow())
    return SearchAnswer.of(results)


@bp.get("/projects")
@contract(ok=(200, ProjectList))
@needs(READER)
def list_projects():
    """All projects with the number of lessons and process models you may read"""
    found = documents.project_summaries(current().db, viewer())
    return ProjectList(
        projects=[
            ProjectCounted(**Project.fields(p.project), lessons=p.lessons, processes=p.processes)
            for p in found
        ]
    )


@bp.get("/projects/<key>")
@contract(ok=(200, ProjectDetail), errors=(404,))
@needs(READER)
def get_project(key: str):
    """One project with its lessons and process models"""
    project = projects.get_project(current().db, key)
    if project is None:
        raise NotFound(f"There is no project {key}.")
    docs = documents.list_documents(
        current().db, {"project": [project.key]}, per_page=100, sort="id", viewer=viewer()
    )
    return ProjectDetail(
        **Project.fields(project),
        lessons=[summary_of(d) for d in docs.items if d.type == "lesson"],
        processes=[summary_of(d) for d in docs.items if d.type == "process"],
    )


@needs(PUBLIC)
def healthz():
    kb = current()
    from sqlalchemy import text

    with kb.db.read() as s:
        s.execute(text("SELECT 1"))
    lag = kb.projection.lag()
    return {
        "status": "ok",
        "database": "ok",
        "index": {
            "documents": kb.index.doc_count(),
            "last_seq": kb.index.last_seq(),
            "lag": lag,
            "state": "rebuilding" if lag is None else "following",
        },
    }
