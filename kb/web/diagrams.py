"""A process model's swimlane diagram as an SVG image of its own (kb.processes.diagram)."""

from __future__ import annotations

from flask import Response

from kb.access_rules import READER, needs
from kb.context import current
from kb.documents import services
from kb.markdown import frontmatter
from kb.processes.diagram import draw
from kb.processes.steps import parse_steps
from kb.security import viewer
from kb.web import bp
from kb.web.documents import document_or_404

#: the drawing's own style sheet is inline; it holds no script and may load nothing
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"


@bp.get("/processes/<doc_id>/diagram.svg")
@needs(READER)
def process_diagram(doc_id: str):
    doc = document_or_404("processes", doc_id)
    revision = services.get_revision(current().db, doc.id, viewer=viewer())
    _, body = frontmatter.split(revision.markdown if revision else "")
    svg = draw(parse_steps(body), doc.title)
    return Response(
        svg,
        mimetype="image/svg+xml",
        headers={"Content-Security-Policy": SVG_POLICY, "Cache-Control": "private, no-cache"},
    )
