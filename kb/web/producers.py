"""/admin/producers: the project tools allowed to send events to POST /api/events — add,
disable and enable, rotate the secret and token.

The signing secret and the bearer token are shown once, in the answer to the form that made
them (add, rotate): that page is rendered directly rather than redirected to, and marked not
to be stored. kb keeps only the token's SHA-256, so it could not show the token again anyway.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from kb.context import current
from kb.core.errors import KbError, NotFound
from kb.events.inbound import producers
from kb.events.inbound.models import Producer
from kb.web import AdminPages
from kb.web.auth import no_store


def _producer_or_404(name: str) -> Producer:
    producer = producers.get_producer(current().db, name)
    if producer is None:
        raise NotFound(f"There is no producer named {name!r}.")
    return producer


def _list_page(status: int = 200, *, name: str = "", error: str | None = None):
    body = render_template(
        "producers.html",
        producers=producers.list_producers(current().db),
        name=name,
        error=error,
    )
    return body, status


def _detail_page(producer: Producer, credentials: producers.Credentials | None = None):
    body = render_template(
        "producers_detail.html",
        producer=producer,
        credentials=credentials,
        default_name=producers.DEFAULT,
    )
    return no_store(body) if credentials else body


# Admins only: whoever holds a producer's secret or token can send events in its name.
admin = AdminPages("manage the project tools that send events")


@admin.get("/admin/producers")
def admin_producers():
    return _list_page()


@admin.post("/admin/producers")
def admin_create_producer():
    name = request.form.get("name", "")
    try:
        credentials = producers.create_producer(current().db, name.strip())
    except KbError as exc:  # malformed or duplicate name: a problem with what was typed
        return _list_page(400, name=name, error=exc.message)
    flash(f"Producer {credentials.name} added.", "success")
    return _detail_page(_producer_or_404(credentials.name), credentials)


@admin.get("/admin/producers/<name>")
def admin_producer(name: str):
    return _detail_page(_producer_or_404(name))


@admin.post("/admin/producers/<name>/active")
def admin_producer_active(name: str):
    active = request.form.get("active") == "1"
    producer = producers.set_producer_active(current().db, name, active)
    if active:
        flash("Enabled: its events are accepted again.", "success")
    else:
        flash("Disabled: its events are refused (401) until it is enabled again.", "success")
    return redirect(url_for("web.admin_producer", name=producer.name), code=303)


@admin.post("/admin/producers/<name>/rotate")
def admin_rotate_producer(name: str):
    credentials = producers.rotate_producer(current().db, name)
    flash("New secret and token: the old ones no longer work.", "success")
    return _detail_page(_producer_or_404(credentials.name), credentials)
