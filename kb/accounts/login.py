"""Signing in: throttled before any hashing, counted in the database (so the limit holds
across every web process), rehashing old password hashes on success.

Each attempt is reserved before its password is verified: one write transaction counts the
recent failures of the account and of the address and, below the limit, inserts the
attempt's rows, which count as failures until the attempt succeeds. Counting and inserting
must not interleave between two attempts — read-then-write let 60 concurrent guesses run 12
password checks against a limit of 5. SQLite's BEGIN IMMEDIATE (kb.db) already serialises
writers; on PostgreSQL a transaction-scoped advisory lock per key does it, a lock on the
name itself, so no row has to exist (or be kept) for every username an attacker tries.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from kb.accounts import passwords
from kb.accounts.models import LoginFailure, User
from kb.accounts.services import audit
from kb.core.errors import KbError
from kb.core.time import utcnow
from kb.db import Database

LIMIT = 5  # failures per window, per account and per address
WINDOW = timedelta(minutes=1)
#: first half of the two-part advisory lock keys (the second is a hash of the throttle key);
#: the single-key locks kb.events takes live in another key space
_PG_LOCK_SPACE = 0x6B6C  # "kl"


class LoginRefused(KbError, status=401, code="login_refused"):
    """A wrong name or password (which one is not said)."""


class Throttled(KbError, status=429, code="too_many_attempts"):
    """Too many failed sign-ins for one account or address within the window."""

    def __init__(self) -> None:
        super().__init__(
            "Too many failed sign-ins for this account or address. Wait a minute, then try again."
        )


def _keys(username: str, address: str | None) -> list[str]:
    return [f"user:{username}"] + ([f"addr:{address}"] if address else [])


def _recent(s: Session, keys: list[str]) -> int:
    """The highest count of attempts within the window among `keys`."""
    return (
        s.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.key.in_(keys), LoginFailure.at > utcnow() - WINDOW)
            .group_by(LoginFailure.key)
            .order_by(func.count().desc())
            .limit(1)
        )
        or 0
    )


def _lock_keys(s: Session, keys: list[str]) -> None:
    if s.get_bind().dialect.name != "postgresql":
        return  # BEGIN IMMEDIATE holds the database's only write lock already
    # taken in numeric order, so two attempts sharing both keys cannot deadlock (a hash
    # collision only makes two names wait for each other)
    ids = sorted(
        {int.from_bytes(hashlib.sha256(k.encode()).digest()[:4], "big", signed=True) for k in keys}
    )
    for lock_id in ids:
        s.execute(
            text("SELECT pg_advisory_xact_lock(:space, :id)"),
            {"space": _PG_LOCK_SPACE, "id": lock_id},
        )


def _reserve(db: Database, keys: list[str]) -> list[int]:
    """The ids of this attempt's rows; Throttled when a key has reached the limit."""
    with db.read() as s:  # a flood of refused attempts need not queue for the write lock
        if _recent(s, keys) >= LIMIT:
            raise Throttled()
    with db.write() as s:
        _lock_keys(s, keys)
        if _recent(s, keys) >= LIMIT:
            raise Throttled()
        rows = [LoginFailure(key=key) for key in keys]
        s.add_all(rows)
        s.flush()
        return [row.id for row in rows]


def authenticate(db: Database, username: str, password: str, *, address: str | None) -> User:
    username = (username or "").strip().lower()[:40]
    reserved = _reserve(db, _keys(username, address))
    with db.read() as s:
        user = s.scalar(select(User).where(User.username == username))
    ok, new_hash = passwords.verify(
        user.password_hash if user else passwords.DUMMY_HASH, password or ""
    )
    if not ok or user is None or not user.is_active:
        with db.write() as s:  # the reserved rows stay: they are the failure
            s.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - timedelta(days=1)))
            audit(s, None, "login.failed", username, address=address)
        raise LoginRefused("That username and password do not match an active account.")
    with db.write() as s:
        s.execute(delete(LoginFailure).where(LoginFailure.id.in_(reserved)))
        row = s.get(User, user.id)
        row.last_login_at = utcnow()
        if new_hash:
            row.password_hash = new_hash
        audit(s, username, "login", username, address=address)
    return user
