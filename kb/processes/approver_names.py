"""Whom each `approvers:` entry names in kb: a user (shown by their display name), a group
(with how many members), or nobody kb knows — an entry nobody can answer for, such as a job
title, which the model's page points out instead of waiting for it forever; and the display
names of those who approved and published."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb.accounts.models import Group, User, user_groups

USER, GROUP, UNKNOWN = "user", "group", "unknown"


@dataclass(frozen=True)
class Named:
    kind: str  # user | group | unknown
    #: a user's display name, else the entry
    label: str
    #: a group's active members (0: nobody can approve for it yet)
    members: int = 0


def resolve(s: Session, names: list[str]) -> dict[str, Named]:
    """Each entry of `names` as kb knows it (no query for no names, no group query when
    every entry is a user)."""
    if not names:
        return {}
    query = select(User.username, User.display_name).where(User.username.in_(names))
    users = {username: label for username, label in s.execute(query)}
    rest = [name for name in names if name not in users]
    members = (
        select(Group.name, func.count(User.id))
        .outerjoin(user_groups, user_groups.c.group_id == Group.id)
        .outerjoin(User, (User.id == user_groups.c.user_id) & User.is_active)
        .where(Group.name.in_(rest))
        .group_by(Group.name)
    )
    groups = {name: count for name, count in s.execute(members)} if rest else {}
    found = {}
    for name in names:
        if name in users:
            found[name] = Named(USER, users[name] or name)
        elif name in groups:
            found[name] = Named(GROUP, name, groups[name])
        else:
            found[name] = Named(UNKNOWN, name)
    return found


def unknown(s: Session, names: list[str]) -> list[str]:
    """The entries that are neither a kb user nor a group."""
    return [n for n, who in resolve(s, names).items() if who.kind == UNKNOWN]


def display_names(s: Session, usernames: list[str]) -> dict[str, str]:
    """The display names of the kb users among `usernames` (others are absent)."""
    if not usernames:
        return {}
    query = select(User.username, User.display_name).where(User.username.in_(usernames))
    return {username: label for username, label in s.execute(query) if label}
