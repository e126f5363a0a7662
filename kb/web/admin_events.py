"""/admin/events: the event log, what each handler did, and a retry for dead letters.
(Accounts and roles arrive later; then this area is for curators and admins only.)"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from kb.access_rules import CURATOR, needs
from kb.context import current
from kb.events.jobs import admin
from kb.params import SEQ_MAX, int_arg
from kb.web import bp


@bp.get("/admin/events")
@needs(CURATOR, what="see the event log")
def admin_events():
    status = request.args.get("status") or None
    type_ = request.args.get("type") or None
    views = admin.list_events(
        current().db,
        type=type_,
        status=status,
        before=int_arg("before", 0, maximum=SEQ_MAX) or None,
        limit=50,
    )
    older = views[-1].event.seq if len(views) == 50 else None
    return render_template(
        "admin_events.html",
        views=views,
        status=status,
        type=type_,
        statuses=admin.STATUSES,
        older=older,
    )


@bp.get("/admin/events/<seq:seq>")
@needs(CURATOR, what="see the event log")
def admin_event(seq: int):
    return render_template("admin_event.html", view=admin.get_event(current().db, seq))


@bp.post("/admin/events/<seq:seq>/retry")
@needs(CURATOR, what="retry events")
def admin_retry(seq: int):
    count = admin.retry_event(current().db, seq)
    flash(f"{count} dead-lettered run(s) of event {seq} will be tried again.", "success")
    return redirect(url_for("web.admin_event", seq=seq), code=303)
