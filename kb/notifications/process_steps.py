"""What a process model's governance steps tell whom (kb.processes.governance): its approvers
that it waits for them, its author and expert that changes are asked for, its owner and the
PMO that it is approved and can be published."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.accounts.models import Group, User
from kb.documents.models import Document
from kb.events.kinds import processes
from kb.notifications.draft import Draft
from kb.notifications.people import Person, the_pmo, user_named


def _link(doc: Document) -> str:
    return f"/processes/{quote(doc.id, safe='')}"


def _users(s: Session, names: list[object]) -> list[Person]:
    """The active users named, and the members of the groups named, once each."""
    found: dict[int, User] = {}
    for name in names:
        user = user_named(s, name)
        if user is not None:
            found[user.id] = user
        members = select(User).join(User.groups).where(Group.name == str(name or "").lower())
        for member in s.scalars(members.where(User.is_active.is_(True))):
            found[member.id] = member
    return [Person(u, u.email) for u in sorted(found.values(), key=lambda u: u.username)]


def _submitted(s: Session, e: processes.ProcessModelSubmitted, doc: Document) -> list[Draft]:
    body = (
        f"{e.actor} submitted the process model {doc.id} “{doc.title}” for review: approve "
        "it, or ask for changes with a note."
    )
    title = f"Your approval: {doc.id} {doc.title}"
    return [Draft(_users(s, list(e.approvers)), title, body, _link(doc), doc)]


def _changes_requested(
    s: Session, e: processes.ProcessModelChangesRequested, doc: Document
) -> list[Draft]:
    body = f"{e.actor} asked for changes to {doc.id} “{doc.title}”: {e.note or 'no note'}."
    people = _users(s, [doc.created_by, (doc.extra or {}).get("expert")])
    return [Draft(people, f"Changes asked for: {doc.id} {doc.title}", body, _link(doc), doc)]


def _approved(s: Session, e: processes.ProcessModelApproved, doc: Document) -> list[Draft]:
    if e.waiting:  # others still to approve: nothing to do for anyone yet
        return []
    body = (
        f"Every approver approved {doc.id} “{doc.title}” (the last: {e.actor}). Its owner or "
        "a curator can publish it with a change summary."
    )
    people = {p.user.id: p for p in _users(s, [doc.owner]) + the_pmo(s)}
    title = f"Ready to publish: {doc.id} {doc.title}"
    return [Draft(list(people.values()), title, body, _link(doc), doc)]


BUILDERS = {
    processes.ProcessModelSubmitted: _submitted,
    processes.ProcessModelChangesRequested: _changes_requested,
    processes.ProcessModelApproved: _approved,
}
