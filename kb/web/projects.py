"""Projects: the register with its document counts, and one project's page."""

from __future__ import annotations

from flask import abort, current_app, render_template
from markupsafe import Markup

from kb.context import current
from kb.core.errors import KbError
from kb.documents import services as documents
from kb.markdown import to_html
from kb.projects import services as projects
from kb.security import viewer
from kb.web import bp

PROJECT_DOCUMENTS = 100


def description_html(source: str) -> Markup | None:
    """A project's description through the one sanitising Markdown pipeline."""
    if not source.strip():
        return None
    try:
        return Markup(to_html(source))  # noqa: S704 - to_html sanitises with nh3
    except KbError:
        current_app.logger.warning("project description could not be rendered", exc_info=True)
        return None


@bp.get("/projects")
def list_projects():
    return render_template(
        "projects.html", summaries=documents.project_summaries(current().db, viewer())
    )


@bp.get("/projects/<key>")
def project(key: str):
    project = projects.get_project(current().db, key)
    if project is None:
        abort(404)
    docs = documents.list_documents(
        current().db,
        {"project": [project.key]},
        per_page=PROJECT_DOCUMENTS,
        sort="id",
        viewer=viewer(),
    )
    return render_template(
        "project.html",
        project=project,
        description=description_html(project.description or ""),
        description_text=project.description or "",
        lessons=[d for d in docs.items if d.type == "lesson"],
        processes=[d for d in docs.items if d.type == "process"],
        others=[d for d in docs.items if d.type not in ("lesson", "process")],
        total=docs.total,
    )
