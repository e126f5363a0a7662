"""Error pages for people (the JSON API keeps its own answers under /api) and the
same-origin check on every form post."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import Forbidden, HTTPException

from kb.core.errors import KbError
from kb.web import bp

MESSAGES = {
    400: "The request could not be understood.",
    403: "This request was refused.",
    404: "There is no such page. It may have been moved, or the address has a typo.",
    405: "This page cannot be used that way.",
    413: "What you sent is too large.",
    500: "Something went wrong on our side; it has been logged.",
}
TITLES = {
    400: "Bad request", 403: "Refused", 404: "Not found", 405: "Not allowed",
    409: "Changed meanwhile", 413: "Too large", 422: "Cannot process", 500: "Server error",
}  # fmt: skip


class CrossSitePost(Forbidden):
    description = "Forms can only be sent from kb's own pages."


def is_api(path: str) -> bool:
    return path.startswith("/api/") or path == "/api" or path == "/healthz"


def error_page(status: int, message: str):
    return render_template("error.html", status=status, message=message), status


@bp.before_request
def same_origin_posts():
    """Forms may only be posted from kb's own pages. Browsers say where a request comes from:
    Sec-Fetch-Site (computed by the browser, so a proxy rewriting Host does not matter) or,
    from older browsers, Origin. A cross-site post is refused before any view runs."""
    if request.method != "POST":
        return None
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        if site == "cross-site":
            raise CrossSitePost()
        return None
    origin = request.headers.get("Origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.host:
        raise CrossSitePost()
    return None


def init_app(app: Flask) -> None:
    @app.errorhandler(KbError)
    def _kb_error(exc: KbError):
        if is_api(request.path):
            return jsonify({"error": exc.to_dict()}), exc.status
        return error_page(exc.status, exc.message)

    def _http_error(exc: HTTPException):
        if is_api(request.path):
            # The API answers in JSON; hand the error to its generic handler.
            fallback = current_app.error_handler_spec[None][None].get(HTTPException)
            return fallback(exc) if fallback else exc
        status = exc.code or 500
        message = MESSAGES.get(status, exc.description or "")
        if isinstance(exc, CrossSitePost):
            message = exc.description
        return error_page(status, message)

    for status in (400, 403, 404, 405, 413, 500):
        app.register_error_handler(status, _http_error)

    app.add_template_global(TITLES, "ERROR_TITLES")
