"""Groups and their members. A group is a row with a stable id: users belong to it by that id,
so renaming a group changes one row for every member. Documents name their groups in their
front matter (`groups: [finance]`, the Markdown being the source of truth), so renaming a
group also rewrites those documents: kb.documents.groups does both in one transaction."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from kb.accounts.models import Group, User, user_groups
from kb.accounts.services import GROUP, audit
from kb.core.errors import Conflict, NotFound, ValidationError
from kb.db import Database

DESCRIPTION_MAX = 300


def clean_name(raw: object) -> str:
    """ " Finance  Team " -> "finance team"; refused in plain words when not a group name."""
    name = " ".join(str(raw or "").split()).lower()
    if not name:
        raise ValidationError("Give the group a name.", field="name")
    if not GROUP.match(name):
        raise ValidationError(
            f"'{name[:70]}' cannot be a group name: use at most 64 lower-case letters, digits, "
            "spaces, '.', '_' or '-', starting with a letter or a digit.",
            field="name",
        )
    return name


def _description(raw: object) -> str:
    text = " ".join(str(raw or "").split())
    if len(text) > DESCRIPTION_MAX:
        raise ValidationError(
            f"A description has at most {DESCRIPTION_MAX} characters.", field="description"
        )
    return text


def _refuse_taken(s: Session, name: str, *, but: int | None = None) -> None:
    found = s.scalar(select(Group).where(Group.name == name))
    if found is not None and found.id != but:
        raise Conflict(f"There is already a group {name}.", field="name")


def create_group(db: Database, name: str, *, actor: str, description: str = "") -> Group:
    name, description = clean_name(name), _description(description)
    with db.write() as s:
        _refuse_taken(s, name)
        group = Group(name=name, description=description)
        s.add(group)
        audit(s, actor, "group.created", name)
    return group


def get_group(db: Database, group_id: int) -> Group | None:
    with db.read() as s:
        return s.get(Group, group_id)


def member_counts(db: Database) -> dict[int, int]:
    """Members per group id (groups without members are absent)."""
    with db.read() as s:
        rows = s.execute(
            select(user_groups.c.group_id, func.count()).group_by(user_groups.c.group_id)
        )
        return {group_id: count for group_id, count in rows}


def list_members(db: Database, group_id: int) -> list[User]:
    with db.read() as s:
        return list(
            s.scalars(
                select(User)
                .join(user_groups, user_groups.c.user_id == User.id)
                .where(user_groups.c.group_id == group_id)
                .order_by(User.username)
            )
        )


def group_for_update(s: Session, group_id: int) -> Group:
    group = s.get(Group, group_id, with_for_update=True)
    if group is None:
        raise NotFound(f"There is no group {group_id}.")
    return group


def rename_in(s: Session, group: Group, new_name: str, *, actor: str, documents: list[str]) -> None:
    """Rename inside the caller's transaction (kb.documents.groups rewrites the documents)."""
    _refuse_taken(s, new_name, but=group.id)
    audit(s, actor, "group.renamed", new_name, name=[group.name, new_name], documents=documents)
    group.name = new_name


def describe_group(db: Database, group_id: int, description: str, *, actor: str) -> None:
    description = _description(description)
    with db.write() as s:
        group = group_for_update(s, group_id)
        group.description = description
        audit(s, actor, "group.described", group.name)


def _user(s: Session, username: str) -> User:
    user = s.scalar(select(User).where(User.username == " ".join(username.split()).lower()))
    if user is None:
        raise ValidationError(f"There is no user '{username[:40]}'.", field="username")
    return user


def add_member(db: Database, group_id: int, username: str, *, actor: str) -> None:
    with db.write() as s:
        group, user = group_for_update(s, group_id), _user(s, username)
        if group not in user.groups:
            user.groups.append(group)
            audit(s, actor, "group.member_added", group.name, username=user.username)


def remove_member(db: Database, group_id: int, username: str, *, actor: str) -> None:
    with db.write() as s:
        group, user = group_for_update(s, group_id), _user(s, username)
        if group in user.groups:
            user.groups.remove(group)
            audit(s, actor, "group.member_removed", group.name, username=user.username)


def delete_group(
    db: Database, group_id: int, *, actor: str, confirmed: bool, documents: int = 0
) -> str:
    """Delete a group; one with members or documents only when `confirmed` (its members
    leave it; documents restricted to it stay restricted, to their creators and curators).
    Returns its name."""
    with db.write() as s:
        group = group_for_update(s, group_id)
        members = s.scalar(
            select(func.count()).select_from(user_groups).where(user_groups.c.group_id == group.id)
        )
        if (members or documents) and not confirmed:
            raise Conflict(
                f"{group.name} has {plural(members, 'member')} and "
                f"{plural(documents, 'document')} restricted to it: tick the confirmation to "
                "delete it anyway.",
                field="confirm",
            )
        name = group.name
        s.execute(delete(user_groups).where(user_groups.c.group_id == group.id))
        s.delete(group)
        audit(s, actor, "group.deleted", name, members=members, documents=documents)
    return name


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
