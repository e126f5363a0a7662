"""The inbox: the unread count in the header (one COUNT per page, signed-in users only, read
before the view runs) and the /inbox page with its "mark read" forms."""

from __future__ import annotations

import logging

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from kb.access_rules import USER, needs
from kb.context import current
from kb.core.errors import Forbidden, NotFound
from kb.errors import wants_json
from kb.notifications import services as inbox
from kb.security import COUNT_UNREAD, viewer
from kb.web import bp
from kb.web.auth import who
from kb.web.params import page_arg

log = logging.getLogger(__name__)


def safe_link(link: str | None) -> str | None:
    """Links are paths kb made; anything else is not rendered as a link."""
    return link if link and link.startswith("/") and not link.startswith("//") else None


def gather_header() -> None:
    """Before every page (kb.web.init_app runs it first): the signed-in person and their
    unread count for the header, so that no template has to query them."""
    g.kb_inbox_unread = None
    if wants_json() or request.endpoint == "static":
        return
    g.setdefault(COUNT_UNREAD, True)  # read with the user, when they are loaded now
    person = who()
    if not person.is_anonymous:
        try:
            unread = getattr(current_user, "unread", None)
            if unread is None:  # loaded before, or not by a session
                unread = inbox.unread_count(current().db, person.username)
            g.kb_inbox_unread = unread
        except SQLAlchemyError:  # an error page must still render
            log.warning("unread count not available", exc_info=True)


@bp.app_context_processor
def _inbox_count() -> dict:
    """The signed-in user's unread count (None for visitors, or when it cannot be read)."""
    return {"inbox_unread": g.get("kb_inbox_unread")}


def _only_unread() -> bool:
    return request.args.get("unread") in ("1", "true", "yes", "on")


@bp.get("/inbox")
@needs(USER)
def inbox_page():
    unread_only = _only_unread()
    page = inbox.list_inbox(
        current().db,
        viewer().username,
        unread_only=unread_only,
        page=page_arg(),
        per_page=current_app.config["KB_PER_PAGE"],
    )
    return render_template("inbox.html", page=page, unread_only=unread_only, safe_link=safe_link)


def _back():
    page = request.form.get("page", type=int)
    unread = "1" if request.form.get("unread") == "1" else None
    return redirect(
        url_for("web.inbox_page", page=page if page and page > 1 else None, unread=unread), code=303
    )


@bp.post("/inbox/<seq:notification_id>/read")
@needs(USER)
def mark_notification_read(notification_id: int):
    try:
        inbox.mark_read(current().db, notification_id, username=viewer().username)
    except NotFound:
        abort(404)
    except Forbidden as exc:
        abort(403, description=exc.message)
    return _back()


@bp.post("/inbox/read")
@needs(USER)
def mark_inbox_read():
    try:
        count = inbox.mark_all_read(current().db, username=viewer().username)
    except Forbidden as exc:
        abort(403, description=exc.message)
    flash(
        f"Marked {count} notification{'s' if count != 1 else ''} read."
        if count
        else "Nothing was unread.",
        "success",
    )
    return _back()
