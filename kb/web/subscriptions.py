"""/admin/subscriptions: outbound webhooks — create, edit, switch on and off, rotate the
secret, and read the delivery log.

A secret is shown once, in the answer to the form that created it (create, rotate): that
page is rendered directly rather than redirected to, and marked not to be stored.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask import current_app, flash, redirect, render_template, request, url_for

from kb.context import current
from kb.core.errors import KbError, NotFound
from kb.events.webhooks import delivery as webhooks
from kb.events.webhooks import ping, subscriptions
from kb.security import viewer
from kb.web import AdminPages, bp
from kb.web.auth import no_store

DELIVERY_LOG = 100


@bp.app_template_filter("utc_time")
def utc_time(moment: datetime | None) -> str:
    return f"{webhooks.as_utc(moment):%Y-%m-%d %H:%M:%S}" if moment else ""


def types_from(text: str) -> list[str]:
    """One pattern per line (commas and spaces separate too)."""
    return [p for p in re.split(r"[\s,]+", text) if p]


def _form() -> dict:
    return {
        "name": request.form.get("name", ""),
        "url": request.form.get("url", ""),
        "types": request.form.get("types", ""),
    }


def _subscription_or_404(subscription_id: int):
    sub = subscriptions.get_subscription(current().db, subscription_id)
    if sub is None:
        raise NotFound(f"There is no subscription {subscription_id}.")
    return sub


def _list_page(status: int = 200, *, form: dict | None = None, error: str | None = None):
    db = current().db
    body = render_template(
        "subscriptions.html",
        subscriptions=subscriptions.list_subscriptions(db),
        last=subscriptions.last_deliveries(db),
        form=form or {"name": "", "url": "", "types": ""},
        error=error,
    )
    return body, status


def _detail_page(sub, status: int = 200, *, secret=None, form=None, error=None, test_error=None):  # noqa: ANN001
    db = current().db
    body = render_template(
        "subscriptions_detail.html",
        sub=sub,
        secret=secret,
        error=error,
        test_error=test_error,
        form=form or {"name": sub.name, "url": sub.url, "types": "\n".join(sub.types or [])},
        deliveries=subscriptions.list_deliveries(db, sub.id, limit=DELIVERY_LOG),
        counts=subscriptions.run_counts(db, sub.id),
        limit=DELIVERY_LOG,
        event_pages="web.admin_event" in current_app.view_functions,
    )
    return no_store(body, status) if secret else (body, status)


# Admins only: the secret, the URLs and the delivery log are sensitive.
admin = AdminPages("manage webhooks")


@admin.get("/admin/subscriptions")
def admin_subscriptions():
    return _list_page()


@admin.post("/admin/subscriptions")
def admin_create_subscription():
    form = _form()
    try:
        sub, secret = subscriptions.create_subscription(
            current().db,
            name=form["name"],
            url=form["url"],
            types=types_from(form["types"]),
            owner=viewer().username,
        )
    except KbError as exc:
        return _list_page(exc.status, form=form, error=exc.message)
    flash(f"Subscription {sub.name} created.", "success")
    return _detail_page(sub, secret=secret)


@admin.get("/admin/subscriptions/<int:subscription_id>")
def admin_subscription(subscription_id: int):
    return _detail_page(_subscription_or_404(subscription_id))


@admin.post("/admin/subscriptions/<int:subscription_id>")
def admin_update_subscription(subscription_id: int):
    sub = _subscription_or_404(subscription_id)
    form = _form()
    try:
        subscriptions.update_subscription(
            current().db,
            sub.id,
            name=form["name"],
            url=form["url"],
            types=types_from(form["types"]),
        )
    except KbError as exc:
        return _detail_page(sub, exc.status, form=form, error=exc.message)
    flash("Saved.", "success")
    return redirect(url_for("web.admin_subscription", subscription_id=sub.id), code=303)


@admin.post("/admin/subscriptions/<int:subscription_id>/active")
def admin_subscription_active(subscription_id: int):
    sub = _subscription_or_404(subscription_id)
    if request.form.get("active") == "1":
        subscriptions.update_subscription(current().db, sub.id, is_active=True)
        flash("Active: new events are delivered again (those in between are not).", "success")
    else:
        subscriptions.deactivate_subscription(current().db, sub.id)
        flash("Disabled: nothing is delivered until it is activated again.", "success")
    return redirect(url_for("web.admin_subscription", subscription_id=sub.id), code=303)


@admin.post("/admin/subscriptions/<int:subscription_id>/rotate")
def admin_rotate_subscription_secret(subscription_id: int):
    sub, secret = subscriptions.rotate_secret(
        current().db, _subscription_or_404(subscription_id).id
    )
    flash("New secret: the old one no longer signs deliveries.", "success")
    return _detail_page(sub, secret=secret)


@admin.post("/admin/subscriptions/<int:subscription_id>/test")
def admin_test_subscription(subscription_id: int):
    sub = _subscription_or_404(subscription_id)
    try:
        ping.send_test_event(current().db, sub.id, actor=viewer().actor)
    except KbError as exc:
        return _detail_page(sub, exc.status, test_error=exc.message)
    flash(
        "Test event sent: its delivery appears in the log below within seconds (reload the page).",
        "success",
    )
    return redirect(
        url_for("web.admin_subscription", subscription_id=sub.id) + "#log-title", code=303
    )
