"""The JSON API under /api. Errors are always `{"error": {"code", "message"}}` (kb.errors)."""

from __future__ import annotations

from flask import Blueprint, Flask, request

from kb.api.body import read_json
from kb.security import csrf

bp = Blueprint("api", __name__, url_prefix="/api")
# Form tokens are for browsers' forms: API calls authenticate with a bearer token (no CSRF
# possible) or, from kb's own pages, a session cookie plus the X-CSRFToken header, which
# kb.security checks itself.
csrf.exempt(bp)


#: views that read their body themselves (CloudEvents: raw bytes, signed, own limits; a
#: BPMN file: XML, read by kb.processes.bpmn_import)
OWN_BODY_READERS = {"api.post_events", "api.import_bpmn"}


@bp.before_request
def _read_body() -> None:
    """Every JSON body goes through kb.api.body.read_json before the view runs, so its limits
    hold for each route, including routes added later."""
    if request.method in ("POST", "PUT", "PATCH") and request.endpoint not in OWN_BODY_READERS:
        read_json(request)


def init_app(app: Flask) -> None:
    from kb.api import (  # noqa: F401  (register routes)
        actions,
        bpmn,
        briefings,
        dashboard,
        documents,
        eventlog,
        events,
        inbox,
        lifecycle,
        overdue,
        paths,
        process_reviews,
        process_versions,
        processes,
        reviews,
        search,
        spec,
        subscriptions,
        tasks,
    )

    app.register_blueprint(bp)
    app.add_url_rule("/healthz", view_func=search.healthz)
