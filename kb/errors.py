"""Every error answer, in one place: JSON or the error page, decided once per request.

One handler takes domain errors (kb.core.errors.KbError), HTTP errors (routing, size limits,
`abort`, kb.security, the CSRF check) and anything unexpected. It turns the exception into a
Problem, then asks wants_json() once: JSON for the API (/api/..., /healthz) and for clients
that ask for it (Accept: application/json, as the form editor's preview does); the error page
(web/templates/error.html) for everyone else. The JSON is always
`{"error": {"code", "message", "field"?, "details"?}}` (the `Error` schema of the OpenAPI
document). An unexpected exception is logged with its traceback and answered 500 with a
plain message: nothing of the exception reaches the client.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Forbidden, HTTPException

from kb.accounts import services as accounts
from kb.core.errors import KbError

log = logging.getLogger(__name__)

UNEXPECTED = "Something went wrong on our side; it has been logged."
#: what the error page says for werkzeug's HTTP errors (their own descriptions are written
#: for developers); an HTTPException written for people sets `page_message` instead
MESSAGES = {
    400: "The request could not be understood.",
    403: "You may not do this with your account.",
    404: "There is no such page. It may have been moved, or the address has a typo.",
    405: "This page cannot be used that way.",
    413: "What you sent is too large.",
    500: UNEXPECTED,
}
TITLES = {
    400: "Bad request",
    401: "Sign in",
    403: "Not for your account",
    404: "Not found",
    405: "Not allowed",
    409: "Changed meanwhile",
    413: "Too large",
    422: "Cannot process",
    429: "Too many requests",
    500: "Server error",
}
CSRF_MESSAGE = (
    "This form has expired or was not sent from kb's own page (its security token is missing "
    "or wrong). Go back, reload the page and send it again."
)
#: headers an HTTP error carries that belong in any answer (Allow on 405, WWW-Authenticate)
_KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


@dataclass(frozen=True)
class Problem:
    """One error, before it is written as JSON or as a page."""

    status: int
    code: str
    message: str  # for programs: the JSON `message`
    page_message: str  # for people: the error page
    more: dict = field(default_factory=dict)  # `field` and `details` (JSON only)
    headers: tuple[tuple[str, str], ...] = ()


def wants_json() -> bool:
    """The one test for "answer in JSON": the API's paths, or a client that prefers JSON.
    Browsers prefer text/html and fetch() sends */*, so pages stay pages for them."""
    path = request.path
    if path == "/api" or path.startswith("/api/") or path == "/healthz":
        return True
    return request.accept_mimetypes.best == "application/json"


def ask(needs: str | None) -> str:
    """Who can help with a refusal: "Ask the PMO: Cora Curator, Carl Curator." (KB_PMO_CONTACT
    when set), "Ask an admin: ..." for what only admins do. Names of people, never anything
    about the document that was refused."""
    if needs == "write token":
        return ""
    role = "admin" if needs == "admin" else "curator"
    contact = current_app.config.get("KB_PMO_CONTACT") if role == "curator" else ""
    try:
        names = [contact] if contact else accounts.helpers(current_app.extensions["kb"].db, role)
    except Exception:  # noqa: BLE001 - a refusal must answer even when the database cannot
        log.warning("no one to name in a refusal", exc_info=True)
        names = []
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    who = "an admin" if role == "admin" else "the PMO"
    return f"Ask {who}: {shown}." if shown else f"Ask {who}."


def refused(reason: str, needs: str | None = None) -> str:
    """A refusal in full: why, then who can help."""
    reason = reason.strip()
    if not reason or reason == Forbidden.description:
        reason = MESSAGES[403]
    return " ".join(x for x in (reason, ask(needs)) if x)


def problem_for(exc: Exception) -> Problem:
    if isinstance(exc, KbError):
        more = {k: v for k, v in exc.to_dict().items() if k not in ("code", "message")}
        message = exc.message
        if exc.status == 403:
            message = refused(message, exc.details.get("needs"))
        return Problem(exc.status, exc.code, message, message, more)
    if isinstance(exc, CSRFError):
        return Problem(400, "csrf_failed", exc.description, CSRF_MESSAGE)
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        description = exc.description or exc.name
        page = getattr(exc, "page_message", None) or MESSAGES.get(status, description)
        if status == 403 and not getattr(exc, "page_message", None):
            # kb's refusals are written for people: say why, and who can help
            description = page = refused(exc.description or "")
        headers = tuple((k, v) for k, v in exc.get_headers() if k in _KEPT_HEADERS)
        code = (exc.name or "error").lower().replace(" ", "_")
        return Problem(status, code, description, page, headers=headers)
    return Problem(500, "internal", UNEXPECTED, UNEXPECTED)


def answer(problem: Problem) -> Response:
    if wants_json():
        body = {"code": problem.code, "message": problem.message, **problem.more}
        response = jsonify({"error": body})
    else:
        page = render_template("error.html", status=problem.status, message=problem.page_message)
        response = Response(page, mimetype="text/html")
    response.status_code = problem.status
    response.headers.extend(problem.headers)
    return response


def handle(exc: Exception) -> Response | HTTPException:
    if isinstance(exc, HTTPException) and exc.response is not None:
        return exc  # a view built this answer itself (abort(response))
    if isinstance(exc, CSRFError):
        log.info("CSRF check failed on %s %s: %s", request.method, request.path, exc.description)
    elif not isinstance(exc, (KbError, HTTPException)):
        log.exception("unexpected error on %s %s", request.method, request.path)
    return answer(problem_for(exc))


def init_app(app: Flask) -> None:
    # Registered for Exception: Flask finds it for every exception class, KbError and
    # HTTPException included, so no other handler can answer an error differently.
    app.register_error_handler(Exception, handle)
    app.add_template_global(TITLES, "ERROR_TITLES")
