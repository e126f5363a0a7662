"""/admin/users and /admin/audit: accounts for admins — list, create (a password typed by the
admin, or generated and shown once), change role and groups, disable and enable, set a new
password, end every session; and the audit log (who did what, when, from where).

Changing a role, groups or a password needs a recent sign-in (kb.security.RECENT_LOGIN). An
admin cannot change their own role nor disable themselves: there is always an admin left.
"""

from __future__ import annotations

import re
import secrets

from flask import flash, redirect, render_template, request, url_for

from kb.access_rules import ADMIN, needs
from kb.accounts import services as accounts
from kb.accounts.models import ROLES, User
from kb.context import current
from kb.core.errors import KbError, NotFound, ValidationError
from kb.security import recently_signed_in, sign_in, viewer
from kb.web import bp
from kb.web.auth import confirm_password, no_store
from kb.web.params import int_arg

AUDIT_PAGE = 200
AUDIT_MAX = 2000
#: audit details holding [before, after]
CHANGES = ("role", "active")


def generated_password() -> str:
    return secrets.token_urlsafe(15)  # 20 characters, 120 bits


def picked_groups(db, names: list[str]) -> list[str]:  # noqa: ANN001
    """The groups ticked on the form: only existing ones (they are made on /admin/groups)."""
    known = {g.name for g in accounts.list_groups(db)}
    for name in names:
        if name not in known:
            raise ValidationError(
                f"There is no group '{name[:64]}': add it on the groups page first.", field="groups"
            )
    return list(dict.fromkeys(names))


def _email(raw: str) -> str:
    email = (raw or "").strip()
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+", email):
        raise ValidationError(f"'{email}' is not an e-mail address.", field="email")
    return email[:200]


def _user_or_404(username: str) -> User:
    user = accounts.get_user(current().db, username)
    if user is None:
        raise NotFound(f"There is no user {username}.")
    return user


@bp.app_template_global()
def audit_details(details: dict | None) -> str:
    """{"role": ["reader", "curator"], "scope": "read"} -> "role: reader → curator; scope: read"."""

    def shown(value: object) -> str:  # never "None" on the page
        return "—" if value is None or value == "" else str(value)

    parts = []
    for key, value in (details or {}).items():
        if isinstance(value, list) and len(value) == 2 and all(isinstance(v, list) for v in value):
            value = f"{', '.join(value[0]) or '—'} → {', '.join(value[1]) or '—'}"
        elif isinstance(value, list) and len(value) == 2 and key in CHANGES:
            value = f"{shown(value[0])} → {shown(value[1])}"
        elif isinstance(value, list):
            value = ", ".join(map(shown, value)) or "—"
        elif value is None:
            continue  # "reason: —" says nothing the row does not
        parts.append(f"{key}: {value}")
    return "; ".join(parts) or "—"


# --- the list and creating ------------------------------------------------------------------


def _list_page(status: int = 200, *, form: dict | None = None, error: str | None = None):
    db = current().db
    body = render_template(
        "admin_users.html",
        users=accounts.list_users(db),
        groups=accounts.list_groups(db),
        roles=ROLES,
        form=form or {"role": "reader", "password_choice": "generate"},
        error=error,
    )
    return body, status


@bp.route("/admin/users", methods=["GET", "POST"])
@needs(ADMIN, what="manage accounts")
def admin_users():
    if request.method == "GET":
        return _list_page()
    if not recently_signed_in():
        return confirm_password(url_for("web.admin_users"))
    form = {
        key: request.form.get(key, "")
        for key in ("username", "display_name", "email", "role", "password_choice")
    }
    form["groups"] = request.form.getlist("groups")
    generate = form["password_choice"] != "typed"
    password = generated_password() if generate else request.form.get("password", "")
    try:
        user = accounts.create_user(
            current().db,
            form["username"],
            password=password,
            role=form["role"],
            display_name=form["display_name"].strip() or None,
            email=_email(form["email"]) or None,
            groups=picked_groups(current().db, form["groups"]),
            actor=viewer().actor,
            must_change_password=True,
        )
    except KbError as exc:
        return _list_page(exc.status, form=form, error=exc.message)
    flash(f"User {user.username} created.", "success")
    return _detail_page(user, new_password=password if generate else None)


# --- one user -------------------------------------------------------------------------------


def _detail_page(
    user: User,
    status: int = 200,
    *,
    new_password: str | None = None,
    error: str | None = None,
    form: dict | None = None,
):
    body = render_template(
        "admin_user.html",
        user=user,
        roles=ROLES,
        groups=accounts.list_groups(current().db),
        new_password=new_password,
        error=error,
        is_self=user.username == viewer().username,
        form=form
        or {
            "display_name": user.display_name,
            "email": user.email or "",
            "role": user.role,
            "groups": [g.name for g in user.groups],
            "password_choice": "generate",
        },
    )
    return no_store(body, status) if new_password else (body, status)


@bp.route("/admin/users/<username>", methods=["GET", "POST"])
@needs(ADMIN, what="manage accounts")
def admin_user(username: str):
    user = _user_or_404(username)
    if request.method == "GET":
        return _detail_page(user)
    action = request.form.get("action", "")
    here = url_for("web.admin_user", username=user.username)
    is_self = user.username == viewer().username
    db, actor, address = current().db, viewer().actor, request.remote_addr

    if action == "profile":
        form = {key: request.form.get(key, "") for key in ("display_name", "email", "role")}
        form["groups"] = groups = request.form.getlist("groups")
        sensitive = form["role"] != user.role or set(groups) != {g.name for g in user.groups}
        if sensitive and not recently_signed_in():
            return confirm_password(here)
        if is_self and form["role"] != user.role:
            return _detail_page(
                user, 400, form=form, error=("You cannot change your own role: ask another admin.")
            )
        try:
            groups = picked_groups(db, groups)
            accounts.update_user(
                db,
                user.username,
                actor=actor,
                role=form["role"],
                groups=groups,
                display_name=form["display_name"],
                email=_email(form["email"]),
            )
        except KbError as exc:
            return _detail_page(user, exc.status, form=form, error=exc.message)
        flash("Saved.", "success")

    elif action == "active":
        active = request.form.get("active") == "1"
        if is_self and not active:
            return _detail_page(user, 400, error="You cannot disable your own account.")
        accounts.update_user(db, user.username, actor=actor, is_active=active)
        flash(
            "Enabled: they can sign in again."
            if active
            else "Disabled: their sessions have ended and they cannot sign in.",
            "success",
        )

    elif action == "sessions":
        accounts.end_sessions(db, user.username, actor=actor, address=address)
        if is_self:
            sign_in(_user_or_404(user.username))  # this browser stays signed in
        flash("Every session of this user has ended.", "success")

    elif action == "password":
        if not recently_signed_in():
            return confirm_password(here)
        generate = request.form.get("password_choice") != "typed"
        password = generated_password() if generate else request.form.get("password", "")
        try:
            updated = accounts.set_password(
                db,
                user.username,
                password,
                actor=actor,
                address=address,
                must_change_password=not is_self,
            )
        except KbError as exc:
            return _detail_page(user, exc.status, error=exc.message)
        if is_self:
            sign_in(updated)
        flash(
            "New password set: every session of this user has ended."
            + ("" if is_self else " They choose their own at their next sign-in."),
            "success",
        )
        if generate:
            return _detail_page(updated, new_password=password)

    else:
        raise ValidationError("Unknown action.")
    return redirect(here, code=303)


# --- the audit log --------------------------------------------------------------------------


@bp.get("/admin/audit")
@needs(ADMIN, what="read the audit log")
def admin_audit():
    limit = min(max(int_arg("limit", AUDIT_PAGE), 1), AUDIT_MAX)
    entries = accounts.list_audit(current().db, limit=limit)
    return render_template(
        "admin_audit.html",
        entries=entries,
        limit=limit,
        more=min(limit * 5, AUDIT_MAX) if len(entries) == limit < AUDIT_MAX else None,
    )
