"""Users, groups, API tokens and the audit log. Every change is attributed to an actor."""

from __future__ import annotations

import hashlib
import re
import secrets
from contextvars import ContextVar

from sqlalchemy import ColumnElement, Row, Select, bindparam, select
from sqlalchemy.orm import Session

from kb.accounts.models import ROLES, ApiToken, AuditEntry, Group, User, user_groups
from kb.accounts.passwords import hash_password
from kb.core.errors import Conflict, NotFound, ValidationError
from kb.core.time import utcnow
from kb.db import Database

USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,39}$")
GROUP = re.compile(r"^[a-z0-9][a-z0-9 ._-]{0,63}$")
TOKEN_PREFIX = "kbu_"
#: where the current request comes from; set by the web layer, read by audit() so that
#: services need no request object to record "from where"
request_address: ContextVar[str | None] = ContextVar("kb_request_address", default=None)
SCOPES = ("read", "write")


def audit(
    s: Session,
    actor: str | None,
    action: str,
    target: str | None = None,
    *,
    address: str | None = None,
    **details,
) -> None:
    s.add(AuditEntry(**audit_values(actor, action, target, address=address, **details)))


def audit_values(
    actor: str | None,
    action: str,
    target: str | None = None,
    *,
    address: str | None = None,
    **details,
) -> dict:
    """The columns of an audit entry (audit(); `kb import` inserts a batch's at once)."""
    address = address or request_address.get()
    return {
        "actor": actor,
        "action": action,
        "target": target,
        "address": address,
        "details": details,
    }


def _clean_username(username: str) -> str:
    username = (username or "").strip().lower()
    if not USERNAME.match(username):
        raise ValidationError(
            "A username is 2-40 lower-case letters, digits, '.', '_' or '-', starting with a letter.",
            field="username",
        )
    return username


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError(f"The role must be one of: {', '.join(ROLES)}.", field="role")
    return role


def _groups(s: Session, names: list[str]) -> list[Group]:
    found = []
    for raw in names:
        name = raw.strip().lower()
        if not GROUP.match(name):
            raise ValidationError(f"'{raw}' is not a valid group name.", field="groups")
        group = s.scalar(select(Group).where(Group.name == name))
        if group is None:
            group = Group(name=name)
            s.add(group)
        found.append(group)
    return found


def create_user(
    db: Database,
    username: str,
    *,
    password: str,
    role: str = "reader",
    display_name: str | None = None,
    email: str | None = None,
    groups: list[str] | None = None,
    actor: str | None = None,
    must_change_password: bool = False,
) -> User:
    """`must_change_password`: the password was chosen for the user (the one-time admin
    password, one an admin typed or generated): they must choose their own at sign-in."""
    username = _clean_username(username)
    _check_role(role)
    password_hash = hash_password(password)
    with db.write() as s:
        if s.scalar(select(User).where(User.username == username)) is not None:
            raise Conflict(f"There is already a user {username}.", field="username")
        user = User(
            username=username,
            display_name=(display_name or username).strip()[:120],
            email=(email or None),
            password_hash=password_hash,
            role=role,
            session_token=secrets.token_hex(16),
            groups=_groups(s, groups or []),
            must_change_password=must_change_password,
        )
        s.add(user)
        audit(s, actor, "user.created", username, role=role, groups=groups or [])
    return get_user(db, username)


def get_user(db: Database, username: str) -> User | None:
    with db.read() as s:
        return s.scalar(select(User).where(User.username == (username or "").strip().lower()))


def session_query(*also: ColumnElement) -> Select:
    """The statement a signed-in request runs for its user: what the session check and the
    viewer need (no password hash), a row per group the user is in (one with `group` None
    when in none), then each of `also` as it is for them. Plain columns, not a User and its
    groups: making the ORM objects cost more than the query. Build it once and keep it:
    every signed-in request runs it, and building it cost as much as running it."""
    return (
        select(
            User.id,
            User.username,
            User.role,
            User.display_name,
            User.is_active,
            User.session_token,
            User.must_change_password,
            Group.name.label("group"),
            *also,
        )
        .select_from(User)
        .outerjoin(user_groups, user_groups.c.user_id == User.id)
        .outerjoin(Group, Group.id == user_groups.c.group_id)
        .where(User.id == bindparam("id"))
    )


SESSION_USER = session_query()


def session_rows(db: Database, user_id: int, query: Select = SESSION_USER) -> list[Row]:
    """The rows of `query` (session_query) for the user ([] when there is no such user)."""
    with db.read() as s:
        return s.connection().execute(query, {"id": user_id}).all()


def list_users(db: Database) -> list[User]:
    with db.read() as s:
        return list(s.scalars(select(User).order_by(User.username)))


def helpers(db: Database, role: str = "curator") -> list[str]:
    """Whom to ask for what needs `role`: the active users with that role by name (for
    "curator", the admins when there is no curator)."""
    roles = ("curator", "admin") if role == "curator" else (role,)
    with db.read() as s:
        for wanted in roles:
            users = list(
                s.scalars(
                    select(User)
                    .where(User.role == wanted, User.is_active.is_(True))
                    .order_by(User.username)
                )
            )
            if users:
                return [u.display_name or u.username for u in users]
    return []


def list_groups(db: Database) -> list[Group]:
    with db.read() as s:
        return list(s.scalars(select(Group).order_by(Group.name)))


def _user_for_update(s: Session, username: str) -> User:
    user = s.scalar(select(User).where(User.username == username).with_for_update())
    if user is None:
        raise NotFound(f"There is no user {username}.")
    return user


def update_user(
    db: Database,
    username: str,
    *,
    actor: str,
    role: str | None = None,
    groups: list[str] | None = None,
    is_active: bool | None = None,
    display_name: str | None = None,
    email: str | None = None,
) -> User:
    with db.write() as s:
        user = _user_for_update(s, username)
        changes: dict = {}
        if role is not None and role != user.role:
            changes["role"] = [user.role, _check_role(role)]
            user.role = role
        if groups is not None:
            new = _groups(s, groups)
            changes["groups"] = [[g.name for g in user.groups], [g.name for g in new]]
            user.groups = new
        if is_active is not None and is_active != user.is_active:
            changes["active"] = [user.is_active, is_active]
            user.is_active = is_active
            user.session_token = secrets.token_hex(16)  # a disabled user's sessions end now
        if display_name is not None:
            user.display_name = display_name.strip()[:120] or user.username
        if email is not None:
            user.email = email.strip() or None
        audit(s, actor, "user.updated", username, **changes)
    return get_user(db, username)


def set_password(
    db: Database,
    username: str,
    password: str,
    *,
    actor: str,
    address: str | None = None,
    must_change_password: bool = False,
) -> User:
    """New password; every existing session of the user ends. `must_change_password`: it was
    chosen by someone else (an admin's reset), so the user must choose their own next."""
    password_hash = hash_password(password)
    with db.write() as s:
        user = _user_for_update(s, username)
        user.password_hash = password_hash
        user.password_changed_at = utcnow()
        user.session_token = secrets.token_hex(16)
        user.must_change_password = must_change_password
        audit(
            s,
            actor,
            "user.password_changed",
            username,
            address=address,
            **({"must_change": True} if must_change_password else {}),
        )
    return get_user(db, username)


def end_sessions(db: Database, username: str, *, actor: str, address: str | None = None) -> None:
    with db.write() as s:
        user = _user_for_update(s, username)
        user.session_token = secrets.token_hex(16)
        audit(s, actor, "user.sessions_ended", username, address=address)


# --- API tokens ------------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    db: Database, username: str, *, name: str, scope: str, address: str | None = None
) -> tuple[ApiToken, str]:
    """A new API token for `username` (made by that user); the token is returned once."""
    if scope not in SCOPES:
        raise ValidationError("The scope must be read or write.", field="scope")
    name = " ".join((name or "").split())[:80] or "API token"
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with db.write() as s:
        user = _user_for_update(s, username)
        row = ApiToken(user_id=user.id, name=name, token_hash=hash_token(token), scope=scope)
        s.add(row)
        audit(s, username, "token.created", name, address=address, scope=scope)
    return row, token


def list_tokens(db: Database, username: str) -> list[ApiToken]:
    with db.read() as s:
        return list(
            s.scalars(
                select(ApiToken)
                .join(User)
                .where(User.username == username)
                .order_by(ApiToken.created_at.desc())
            )
        )


def revoke_token(db: Database, username: str, token_id: int, *, address: str | None = None) -> None:
    with db.write() as s:
        row = s.scalar(
            select(ApiToken).join(User).where(User.username == username, ApiToken.id == token_id)
        )
        if row is None:
            raise NotFound("There is no such token.")
        row.revoked_at = row.revoked_at or utcnow()
        audit(s, username, "token.revoked", row.name, address=address)


def user_for_token(db: Database, token: str) -> tuple[User, str] | None:
    """(the user, the token's scope) for a live token of an active user."""
    with db.read() as s:
        row = s.scalar(
            select(ApiToken).where(
                ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None)
            )
        )
        if row is None:
            return None
        user = s.get(User, row.user_id)
        if user is None or not user.is_active:
            return None
        last, token_id = row.last_used_at, row.id
    now = utcnow()
    if (
        last is None
        or (now - (last if last.tzinfo else last.replace(tzinfo=now.tzinfo))).total_seconds() > 60
    ):
        with db.write() as s:  # at most once a minute: a busy script must not write every call
            s.get(ApiToken, token_id).last_used_at = now
    return user, row.scope


def list_audit(db: Database, limit: int = 200) -> list[AuditEntry]:
    with db.read() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))
