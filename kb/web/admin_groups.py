"""/admin/groups: groups for admins — the list with member and document counts, creating,
renaming (members follow by the group's id; the documents restricted to it get a revision
with the new name, all in one transaction: kb.documents.groups), describing, members in and
out, and deleting (one with members or documents only after a confirmation).

Membership opens restricted documents, so changing it — like renaming or deleting a group —
needs a recent sign-in, as on the users' pages.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from kb.access_rules import ADMIN, needs
from kb.accounts import groups
from kb.accounts.models import Group
from kb.accounts.services import list_users
from kb.context import current
from kb.core.errors import KbError, NotFound, ValidationError
from kb.documents import groups as document_groups
from kb.security import recently_signed_in, viewer
from kb.web import bp
from kb.web.auth import confirm_password


def _group_or_404(group_id: int) -> Group:
    group = groups.get_group(current().db, group_id)
    if group is None:
        raise NotFound(f"There is no group {group_id}.")
    return group


def _list_page(status: int = 200, *, form: dict | None = None, error: str | None = None):
    summaries, unset = document_groups.group_summaries(current().db)
    return render_template(
        "admin_groups.html",
        groups=summaries,
        unset=unset,
        error=error,
        form=form or {"name": "", "description": ""},
    ), status


@bp.route("/admin/groups", methods=["GET", "POST"])
@needs(ADMIN)
def admin_groups():
    if request.method == "GET":
        return _list_page()
    form = {key: request.form.get(key, "") for key in ("name", "description")}
    try:
        group = groups.create_group(
            current().db, form["name"], actor=viewer().actor, description=form["description"]
        )
    except KbError as exc:
        return _list_page(exc.status, form=form, error=exc.message)
    flash(f"Group {group.name} created: add its members below.", "success")
    return redirect(url_for("web.admin_group", group_id=group.id), code=303)


def _detail_page(
    group: Group,
    status: int = 200,
    *,
    error: str | None = None,
    field: str | None = None,
    form: dict | None = None,
):
    db = current().db
    members = groups.list_members(db, group.id)
    names = {m.username for m in members}
    body = render_template(
        "admin_group.html",
        group=group,
        members=members,
        error=error,
        field=field,
        others=[u for u in list_users(db) if u.username not in names and u.is_active],
        documents=document_groups.documents_of(db, group.name),
        form=form or {"name": group.name, "description": group.description or ""},
    )
    return body, status


ACTIONS = {"rename", "describe", "add", "remove", "delete"}
#: actions that change who reads what: they need a recent sign-in
SENSITIVE = {"rename", "add", "remove", "delete"}


@bp.route("/admin/groups/<int:group_id>", methods=["GET", "POST"])
@needs(ADMIN)
def admin_group(group_id: int):
    group = _group_or_404(group_id)
    if request.method == "GET":
        return _detail_page(group)
    action = request.form.get("action", "")
    if action not in ACTIONS:
        raise ValidationError("Unknown action.")
    here = url_for("web.admin_group", group_id=group.id)
    if action in SENSITIVE and not recently_signed_in():
        return confirm_password(here)
    db, actor = current().db, viewer().actor
    form = {
        "name": request.form.get("name", group.name),
        "description": request.form.get("description", group.description or ""),
    }
    username = request.form.get("username", "")
    try:
        if action == "rename":
            rewritten = document_groups.rename_group(db, group.id, form["name"], actor=actor)
            flash(
                f"Renamed to {_group_or_404(group.id).name}"
                + (
                    f"; {groups.plural(len(rewritten), 'document')} rewritten with the new name."
                    if rewritten
                    else "."
                ),
                "success",
            )
        elif action == "describe":
            groups.describe_group(db, group.id, form["description"], actor=actor)
            flash("Saved.", "success")
        elif action == "add":
            groups.add_member(db, group.id, username, actor=actor)
            flash(f"{username} is a member now.", "success")
        elif action == "remove":
            groups.remove_member(db, group.id, username, actor=actor)
            flash(f"{username} is no longer a member.", "success")
        else:
            name = document_groups.delete_group(
                db, group.id, actor=actor, confirmed=request.form.get("confirm") == "1"
            )
            flash(f"Group {name} deleted.", "success")
            return redirect(url_for("web.admin_groups"), code=303)
    except KbError as exc:
        return _detail_page(group, exc.status, error=exc.message, field=exc.field, form=form)
    return redirect(here, code=303)
