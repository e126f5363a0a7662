"""Whom kb can tell: a kb user (inbox, and e-mail when they have an address), or only an
e-mail address (someone kb has no account for, who reads like an anonymous visitor)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb.accounts.models import User
from kb.accounts.viewer import ANONYMOUS, Viewer

#: one plain address: nothing that could add a recipient or a header to a mail
ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]\\]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")


@dataclass(frozen=True)
class Person:
    user: User | None
    address: str | None

    @property
    def viewer(self) -> Viewer:
        return Viewer.of(self.user) if self.user is not None else ANONYMOUS


def user_named(s: Session, username: object) -> User | None:
    if not isinstance(username, str) or not username.strip():
        return None
    user = s.scalar(select(User).where(User.username == username.strip().lower()))
    return user if user is not None and user.is_active else None


def person_by_email(s: Session, address: object) -> Person | None:
    """The kb user with this e-mail address, or the bare address when kb has none (None for
    a deactivated user's address, or for anything that is not one plain address)."""
    if not isinstance(address, str) or not ADDRESS.fullmatch(address.strip()):
        return None
    address = address.strip()
    user = s.scalar(
        select(User)
        .where(func.lower(User.email) == address.lower())
        .order_by(User.is_active.desc(), User.id)
        .limit(1)
    )
    if user is None:
        return Person(None, address)
    return Person(user, user.email) if user.is_active else None


def person_named_or_addressed(s: Session, who: object) -> Person | None:
    """A username, or an e-mail address (matched to a user when kb knows it)."""
    user = user_named(s, who)
    if user is not None:
        return Person(user, user.email)
    return person_by_email(s, who)


def the_pmo(s: Session) -> list[Person]:
    """The PMO: every active curator; the admins when there is no curator."""
    for role in ("curator", "admin"):
        users = list(
            s.scalars(
                select(User)
                .where(User.role == role, User.is_active.is_(True))
                .order_by(User.username)
            )
        )
        if users:
            return [Person(u, u.email) for u in users]
    return []


def people_named(s: Session, who: object) -> list[Person]:
    """Whom a name in a document stands for: `PMO` is the PMO; a username or an e-mail
    address is that person; anything else (a job title) nobody kb can tell."""
    if isinstance(who, str) and who.strip().casefold() == "pmo":
        return the_pmo(s)
    person = person_named_or_addressed(s, who)
    return [person] if person is not None else []
