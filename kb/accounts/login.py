"""Signing in: throttled before any hashing, counted in the database (so the limit holds
across every web process), rehashing old password hashes on success."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select

from kb.accounts.models import LoginFailure, User
from kb.accounts.passwords import DUMMY_HASH, verify
from kb.accounts.services import audit
from kb.core.errors import KbError
from kb.core.time import utcnow
from kb.db import Database

LIMIT = 5  # failures per window, per account and per address
WINDOW = timedelta(minutes=1)


class LoginRefused(KbError):
    status = 401
    code = "login_refused"


class Throttled(KbError):
    status = 429
    code = "too_many_attempts"


def _keys(username: str, address: str | None) -> list[str]:
    return [f"user:{username}"] + ([f"addr:{address}"] if address else [])


def authenticate(db: Database, username: str, password: str, *, address: str | None) -> User:
    username = (username or "").strip().lower()[:40]
    keys = _keys(username, address)
    since = utcnow() - WINDOW
    with db.read() as s:
        recent = s.scalar(
            select(func.count()).select_from(LoginFailure)
            .where(LoginFailure.key.in_(keys), LoginFailure.at > since)
            .group_by(LoginFailure.key).order_by(func.count().desc()).limit(1)
        ) or 0  # fmt: skip
        user = s.scalar(select(User).where(User.username == username))
    if recent >= LIMIT:
        raise Throttled(
            "Too many failed sign-ins for this account or address. Wait a minute, then try again."
        )
    ok, new_hash = verify(user.password_hash if user else DUMMY_HASH, password or "")
    if not ok or user is None or not user.is_active:
        with db.write() as s:
            s.add_all([LoginFailure(key=key) for key in keys])
            s.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - timedelta(days=1)))
            audit(s, None, "login.failed", username, address=address)
        raise LoginRefused("That username and password do not match an active account.")
    with db.write() as s:
        row = s.get(User, user.id)
        row.last_login_at = utcnow()
        if new_hash:
            row.password_hash = new_hash
        audit(s, username, "login", username, address=address)
    return user
