"""Signing in and out, one's own account (password, sessions) and one's API tokens.

The session itself is kb.security's: these views only ask for it (sign_in, sign_out). A new
API token is shown once, in the answer to the form that made it (rendered, not redirected
to, and marked not to be stored); kb keeps only its SHA-256.
"""

from __future__ import annotations

from flask import (
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from kb.access_rules import PUBLIC, USER, needs
from kb.accounts import services as accounts
from kb.accounts.login import LoginRefused, Throttled, authenticate
from kb.accounts.models import User
from kb.accounts.services import SCOPES
from kb.accounts.viewer import Viewer
from kb.context import current
from kb.core.errors import KbError, NotFound
from kb.paths import progress
from kb.security import recently_signed_in, safe_next, sign_in, sign_out, viewer
from kb.web import bp

CONFIRM = "Please confirm your password"


def no_store(body: str, status: int = 200):
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def confirm_password(page: str):
    """Sensitive changes need a recent sign-in: back to the login page, then to `page`."""
    flash(CONFIRM, "info")
    return redirect(url_for("web.login", next=page), code=303)


def me() -> User:
    """The signed-in user's row as it is now (the route table makes sure there is one)."""
    user = accounts.get_user(current().db, viewer().username)
    if user is None:
        raise NotFound("There is no such account.")
    return user


def who() -> Viewer:
    """The signed-in person, also on public pages (the guard sets viewer() only on the others)
    and on error pages the guard ended before it could."""
    found = viewer()
    if found.is_anonymous and current_user and current_user.is_authenticated:
        return current_user.viewer
    return found


@bp.app_context_processor
def _who() -> dict:
    if request.endpoint == "static":  # an error about a file: the header is not worth a query
        return {"who": viewer()}  # (kb.web.inbox.gather_header does not load anyone for files)
    return {"who": who()}


# --- signing in and out ---------------------------------------------------------------------


def _login_page(status: int = 200, *, username: str = "", error: str | None = None):
    return render_template(
        "login.html",
        username=username,
        error=error,
        next=request.values.get("next", ""),
    ), status


@bp.route("/login", methods=["GET", "POST"])
@needs(PUBLIC)
def login():
    if request.method == "GET":
        return _login_page(username=who().username or "")
    username = request.form.get("username", "").strip()[:40]
    try:
        user = authenticate(
            current().db, username, request.form.get("password", ""), address=request.remote_addr
        )
    except Throttled as exc:
        return _login_page(429, username=username, error=exc.message)
    except LoginRefused as exc:
        return _login_page(401, username=username, error=exc.message)
    sign_in(user)
    flash(f"Signed in as {user.display_name}.", "success")
    # someone with a path to finish lands where they continue it
    landing = "/start" if progress.unfinished(current().db, user.id) else "/"
    return redirect(safe_next(request.form.get("next"), default=landing), code=303)


@bp.route("/logout", methods=["GET", "POST"])
@needs(PUBLIC)
def logout():
    if request.method == "GET":
        if who().is_anonymous:
            return redirect(url_for("web.login"), code=303)
        return render_template("login.html", confirm_logout=True)
    sign_out()
    flash("You are signed out.", "success")
    return redirect(url_for("web.login"), code=303)


# --- one's own account ----------------------------------------------------------------------


def _account_page(status: int = 200, *, error: str | None = None):
    user = me()
    if user.must_change_password:  # the only page such an account reaches (kb.security)
        return render_template("change_password.html", user=user, error=error, forced=True), status
    return render_template("account.html", user=user, error=error), status


@bp.get("/account")
@needs(USER)
def account():
    return _account_page()


@bp.route("/account/password", methods=["GET", "POST"])
@needs(USER)
def change_password():
    if request.method == "GET":
        return _account_page()
    user = me()
    if not recently_signed_in():
        return confirm_password(
            url_for("web.change_password" if user.must_change_password else "web.account")
        )
    current_password = request.form.get("current_password", "")
    new, repeat = request.form.get("new_password", ""), request.form.get("repeat_password", "")
    try:  # through the throttled sign-in check: this form must not be a password oracle
        authenticate(current().db, user.username, current_password, address=request.remote_addr)
    except Throttled as exc:
        return _account_page(429, error=exc.message)
    except LoginRefused:
        return _account_page(400, error="Your current password is not right.")
    if new != repeat:
        return _account_page(400, error="The new password and its repetition differ.")
    if new == current_password:
        return _account_page(400, error="The new password must differ from the current one.")
    try:
        updated = accounts.set_password(
            current().db, user.username, new, actor=viewer().actor, address=request.remote_addr
        )
    except KbError as exc:
        return _account_page(exc.status, error=exc.message)
    sign_in(updated)  # every other session ended with the old session token; this one stays
    if user.must_change_password:
        flash("Your password is set: welcome to kb.", "success")
        return redirect(url_for("web.home"), code=303)
    flash("Password changed. Every other session is signed out.", "success")
    return redirect(url_for("web.account"), code=303)


@bp.post("/account/sessions")
@needs(USER)
def end_sessions():
    username = viewer().username
    accounts.end_sessions(current().db, username, actor=viewer().actor, address=request.remote_addr)
    sign_in(me())
    flash("Signed out everywhere else: only this browser is still signed in.", "success")
    return redirect(url_for("web.account"), code=303)


# --- API tokens -----------------------------------------------------------------------------


def _tokens_page(
    status: int = 200,
    *,
    new_token: str | None = None,
    name: str = "",
    scope: str = "read",
    error: str | None = None,
):
    body = render_template(
        "tokens.html",
        tokens=accounts.list_tokens(current().db, viewer().username),
        new_token=new_token,
        name=name,
        scope=scope,
        scopes=SCOPES,
        error=error,
    )
    return no_store(body, status) if new_token else (body, status)


@bp.route("/account/tokens", methods=["GET", "POST"])
@needs(USER)
def tokens():
    if request.method == "GET":
        return _tokens_page()
    if not recently_signed_in():
        return confirm_password(url_for("web.tokens"))
    name = request.form.get("name", "").strip()[:80]
    scope = request.form.get("scope", "read")
    try:
        row, token = accounts.create_token(
            current().db, viewer().username, name=name, scope=scope, address=request.remote_addr
        )
    except KbError as exc:
        return _tokens_page(exc.status, name=name, scope=scope, error=exc.message)
    flash(f"Token {row.name} created.", "success")
    return _tokens_page(new_token=token)


@bp.post("/account/tokens/<int:token_id>/revoke")
@needs(USER)
def revoke_token(token_id: int):
    accounts.revoke_token(current().db, viewer().username, token_id, address=request.remote_addr)
    flash("Token revoked: it no longer works.", "success")
    return redirect(url_for("web.tokens"), code=303)
