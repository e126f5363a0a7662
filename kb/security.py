"""Who is asking, and may they: sessions (Flask-Login), API tokens, what each route declared
it needs (kb.access_rules.needs), CSRF and security headers — for the HTML pages and the JSON
API alike.

Sessions are revocable: the session cookie holds the user's id *and* their current session
token; logout-everywhere, a password change or disabling the user changes the token, and every
request checks it. A new session starts at each sign-in (no fixation).
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, request, session
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect, generate_csrf, validate_csrf
from wtforms import ValidationError as CsrfInvalid

from kb.access_rules import PRODUCER, PUBLIC, READER, USER, declared, refusal, rule_for
from kb.accounts import services as accounts
from kb.accounts.models import ROLES, User
from kb.accounts.viewer import ANONYMOUS, Viewer
from kb.context import current
from kb.core.errors import Forbidden
from kb.core.lru import LruCache
from kb.notifications import services as inbox

csrf = CSRFProtect()
login_manager = LoginManager()
#: sensitive changes (password, role, tokens) need a sign-in at most this old
RECENT_LOGIN = 10 * 60
READ_ONLY = (
    "This API token is read-only: it cannot change anything. Make a token with the "
    "write scope on your account page (Account → API tokens)."
)
#: the only endpoints (besides public ones) open to an account that must change its password
PASSWORD_CHANGE = ("web.change_password",)


#: a page's first hook (kb.web.inbox.gather_header) sets this flag in `g` before it asks who
#: is signed in: the user's unread count is then read with them, in the same query
COUNT_UNREAD = "kb_count_unread"
USER_WITH_UNREAD = accounts.session_query(inbox.unread_of(User.username).label("unread"))


class SessionUser(UserMixin):
    """The signed-in user as a request needs them: who they are (`viewer`) and the session
    they hold."""

    def __init__(self, viewer: Viewer, session_token: str, unread: int | None = None):
        self.viewer = viewer
        self.session_token = session_token
        #: the unread count, when read with the user (COUNT_UNREAD)
        self.unread = unread

    @classmethod
    def of(cls, user: User) -> SessionUser:
        return cls(Viewer.of(user), user.session_token)

    def get_id(self) -> str:
        return f"{self.viewer.user_id}:{self.session_token}"


@login_manager.user_loader
def _load(session_id: str) -> SessionUser | None:
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit():
        return None
    with_unread = bool(g.get(COUNT_UNREAD))
    query = USER_WITH_UNREAD if with_unread else accounts.SESSION_USER
    rows = accounts.session_rows(current().db, int(user_id), query)
    if not rows:
        return None
    user = rows[0]
    if not user.is_active or user.session_token != token:
        return None  # logged out everywhere, password changed, or disabled
    who = Viewer.of(user, groups=frozenset(row.group for row in rows if row.group is not None))
    return SessionUser(who, user.session_token, user.unread if with_unread else None)


def viewer() -> Viewer:
    """The person (or script) behind this request."""
    return g.get("kb_viewer", ANONYMOUS)


def sign_in(user: User) -> None:
    session.clear()  # a fresh session: nothing from before the sign-in survives
    login_user(SessionUser.of(user))
    session["auth_at"] = int(time.time())


def sign_out() -> None:
    """Sign out everywhere: the user's session token changes, so a copied cookie is dead too."""
    if current_user.is_authenticated:
        accounts.end_sessions(
            current().db,
            current_user.viewer.username,
            actor=current_user.viewer.username,
            address=request.remote_addr,
        )
    logout_user()
    session.clear()


def recently_signed_in() -> bool:
    return time.time() - session.get("auth_at", 0) < RECENT_LOGIN


def safe_next(target: str | None, default: str = "/") -> str:
    """Only our own paths: never another host, scheme or a protocol-relative //host."""
    if not target:
        return default
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return default
    return target


def _bearer() -> Viewer | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    found = accounts.user_for_token(current().db, header[7:].strip())
    if found is None:
        abort(401, description="This API token is unknown, revoked, or its user is disabled.")
    user, scope = found
    return Viewer.of(user, read_only=scope == "read")


def _guard():  # noqa: ANN202
    accounts.request_address.set(request.remote_addr)
    if request.routing_exception is not None:
        return None  # Flask answers it (404, 405) after this hook
    view = current_app.view_functions.get(request.endpoint)
    rule = rule_for(request.endpoint, view, request.method)
    if rule is None:  # the view declared nothing (kb.access_rules.needs): refused to everyone
        abort(403, description="This page has no access rule.")
    if rule in (PUBLIC, PRODUCER):
        return None
    is_api = request.blueprint == "api"
    who = _bearer() if is_api else None
    if who is None and current_user.is_authenticated:
        who = current_user.viewer
        if is_api and request.method not in ("GET", "HEAD", "OPTIONS"):
            _check_csrf_header()
    g.kb_viewer = who or ANONYMOUS
    if who is None:
        if rule == READER and current_app.config["KB_ANONYMOUS_READ"]:
            return None
        if is_api:
            abort(401, description="Sign in, or send an API token: Authorization: Bearer <token>.")
        from flask import redirect, url_for

        return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
    if who.must_change_password and request.endpoint not in PASSWORD_CHANGE:
        return _choose_password_first(who, is_api)
    if rule in (USER, READER):
        return None
    if not allowed(who, rule):
        if who.read_only and ROLES.index(who.role) >= ROLES.index(rule):
            raise Forbidden(READ_ONLY, details={"needs": "write token"})
        what = declared(request.endpoint, view).what
        raise Forbidden(refusal(what, rule), details={"needs": rule})
    return None


def allowed(who: Viewer, rule: str | None) -> bool:
    """Whether `who` passes a route's rule (kb.access_rules): the check above, and what the
    pages ask before offering a link or a button (`may`)."""
    if rule is None:
        return False
    if rule in (PUBLIC, PRODUCER):
        return True
    if who.is_anonymous:
        return rule == READER and current_app.config["KB_ANONYMOUS_READ"]
    return rule in (USER, READER) or who.has_role(rule)


def may(endpoint: str, method: str = "GET") -> bool:
    """Template global: would the viewer be let through to `endpoint`? The pages offer a link
    or a button only when it is, so nothing offered ends in a refusal."""
    view = current_app.view_functions.get(endpoint)
    return allowed(viewer(), rule_for(endpoint, view, method))


def _choose_password_first(who: Viewer, is_api: bool):  # noqa: ANN202
    """An account signed in with a password someone else chose reaches only the form that
    replaces it (and logout, which is public); its API tokens are refused meanwhile."""
    if is_api:
        abort(
            403,
            description=(
                f"The account {who.username} must choose a new password before it can be used: "
                "sign in on the web and change it; its API tokens work again after that."
            ),
        )
    from flask import redirect, url_for

    return redirect(url_for("web.change_password"), code=303)


def _check_csrf_header() -> None:
    """JSON calls made with a session cookie (the edit page's preview) carry the CSRF token
    in a header; calls with a bearer token need none (a browser never adds that header)."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    try:
        validate_csrf(request.headers.get("X-CSRFToken", ""))
    except CsrfInvalid:
        abort(400, description="The CSRF token is missing or invalid; reload the page.")


#: a session's signed CSRF token, by (signing key, the session's raw token): with no time limit
#: the signature's time stamp is never read, so one signing serves all of a session's pages
#: (flask-wtf signed again on every page: an eighth of a document page's templates)
_SIGNED: LruCache[str] = LruCache(4096)


def csrf_token() -> str:
    """The templates' csrf_token(): flask-wtf's generate_csrf, kept per session (_SIGNED)."""
    config = current_app.config
    if "csrf_token" in g or config["WTF_CSRF_TIME_LIMIT"] is not None:
        return generate_csrf()
    secret = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    raw = session.get("csrf_token")
    signed = _SIGNED.get((secret, raw)) if isinstance(raw, str) else None
    if signed is None:
        signed = generate_csrf()  # (it makes the session's raw token when there is none)
        _SIGNED.put((secret, session["csrf_token"]), signed)
    g.csrf_token = signed  # where flask-wtf looks first, for the rest of the request
    return signed


def _headers(response):  # noqa: ANN001, ANN202
    h = response.headers
    h.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    )
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response


def init_app(app: Flask) -> None:
    production = app.config["KB_ENV"] == "production"
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production,
        SESSION_COOKIE_NAME="kb_session",
        REMEMBER_COOKIE_DURATION=0,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    login_manager.init_app(app, add_context_processor=False)  # templates get `who` (kb.web.auth)
    login_manager.login_view = "web.login"
    csrf.init_app(app)
    # instead of flask-wtf's generate_csrf, which it also gives every template's context
    app.add_template_global(csrf_token)
    app.context_processor(lambda: {"csrf_token": csrf_token})
    app.before_request(_guard)
    # the address belongs to this request only; a thread that serves the next one resets it
    app.teardown_request(lambda _exc: accounts.request_address.set(None))
    app.after_request(_headers)
    app.add_template_global(may, "may_use")
