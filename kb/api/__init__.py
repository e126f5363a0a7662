"""The JSON API under /api. Errors are always `{"error": {"code", "message"}}`."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from kb.api.body import read_json
from kb.core.errors import KbError
from kb.security import csrf

bp = Blueprint("api", __name__, url_prefix="/api")
# Form tokens are for browsers' forms: API calls authenticate with a bearer token (no CSRF
# possible) or, from kb's own pages, a session cookie plus the X-CSRFToken header, which
# kb.security checks itself.
csrf.exempt(bp)
log = logging.getLogger(__name__)


def error_response(status: int, code: str, message: str, **more):
    return jsonify({"error": {"code": code, "message": message, **more}}), status


#: views that read their body themselves (CloudEvents: raw bytes, signed, own limits)
OWN_BODY_READERS = {"api.post_events"}


@bp.before_request
def _read_body() -> None:
    """Every JSON body goes through kb.api.body.read_json before the view runs, so its limits
    hold for each route, including routes added later."""
    if request.method in ("POST", "PUT", "PATCH") and request.endpoint not in OWN_BODY_READERS:
        read_json(request)


@bp.errorhandler(KbError)
def _kb_error(exc: KbError):
    return jsonify({"error": exc.to_dict()}), exc.status


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def init_app(app: Flask) -> None:
    from kb.api import (  # noqa: F401  (register routes)
        actions,
        briefings,
        documents,
        eventlog,
        events,
        inbox,
        lifecycle,
        openapi,
        processes,
        reviews,
        search,
        subscriptions,
        tasks,
    )

    app.register_blueprint(bp)
    app.add_url_rule("/healthz", view_func=search.healthz)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if not wants_json():
            return exc
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        if wants_json():
            return error_response(
                500, "internal", "Something went wrong on our side; it has been logged."
            )
        from flask import render_template

        return render_template(
            "error.html",
            status=500,
            message="Something went wrong on our side; it has been logged.",
        ), 500
