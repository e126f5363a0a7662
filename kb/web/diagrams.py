"""A process model's swimlane diagram as an SVG image of its own (kb.processes.diagram), and
two models side by side (a project's as-is and to-be: kb.processes.compare).

`?before=PM-0005` draws the model as the later of the two (its added and changed steps
marked), `?after=PM-0006` as the earlier (its removed and changed steps marked).
"""

from __future__ import annotations

from flask import Response, abort, render_template, request

from kb.access_rules import READER, needs
from kb.context import current
from kb.processes.diagram import draw
from kb.readmodels.processes import comparison, flow_of
from kb.security import viewer
from kb.web import bp
from kb.web.documents import document_or_404

#: the drawing's own style sheet is inline; it holds no script and may load nothing
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
ID_MAX = 32


def _other(name: str) -> str | None:
    value = (request.args.get(name) or "").strip()
    if len(value) > ID_MAX:
        abort(404)
    return value or None


@bp.get("/processes/<doc_id>/diagram.svg")
@needs(READER)
def process_diagram(doc_id: str):
    doc = document_or_404("processes", doc_id)
    flow, marks = flow_of(current().db, doc, viewer()), None
    before, after = _other("before"), _other("after")
    if before or after:
        pair = (before, doc.id) if before else (doc.id, after)
        compared = comparison(current().db, *pair, viewer())
        if compared is None:
            abort(404)
        marks = compared.changes.marks("new" if before else "old")
    return Response(
        draw(flow, doc.title, marks),
        mimetype="image/svg+xml",
        headers={"Content-Security-Policy": SVG_POLICY, "Cache-Control": "private, no-cache"},
    )


@bp.get("/processes/<old_id>/compare/<new_id>")
@needs(READER)
def compare_processes(old_id: str, new_id: str):
    """Two models side by side: the steps the second adds, removes and changes."""
    compared = comparison(current().db, old_id, new_id, viewer())
    if compared is None:
        abort(404)
    return render_template("process_compare.html", c=compared)
