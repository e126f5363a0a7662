"""Who hears about which of kb's own events, and what they are told.

`recipients(s, event)` reads users and documents, changes nothing, and returns one Message
per person: a kb user (inbox, and e-mail when they have an address) or only an e-mail
address (someone kb has no account for). Nobody is told about a document they may not read:
a person without an account counts as an anonymous reader (internal documents only), and
lists of lessons in a message keep only those the person may read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.orm import Session

from kb.documents import access
from kb.events import kinds
from kb.events.kinds import (
    KB_SOURCE,
    KB_TYPE_PREFIX,
    KbEvent,
    documents,
    lessons,
    projects,
)
from kb.events.log.models import Event
from kb.notifications.drafts import TYPES, drafts
from kb.notifications.people import ADDRESS

log = logging.getLogger(__name__)

TITLE_MAX, LINK_MAX = 200, 300


@dataclass(frozen=True)
class Message:
    username: str | None  # None: only an e-mail address
    address: str | None  # None: inbox only
    kind: str
    title: str
    body: str
    link: str | None


def _caused_by(e: KbEvent) -> str | None:
    if isinstance(e, projects.ReviewCompleted):
        return e.completed_by
    if isinstance(e, documents.LessonTransitioned | lessons.LessonActionAdded):
        return e.actor
    return None


def parsed(event: Event) -> KbEvent | None:
    """One of kb's own events that notifies someone, as its class (None for any other)."""
    if event.source != KB_SOURCE or not event.type.startswith(KB_TYPE_PREFIX + "."):
        return None
    if event.type.removeprefix(KB_TYPE_PREFIX + ".") not in TYPES:
        return None
    try:
        return kinds.parse(event.type, event.data)
    except ValidationError:
        log.warning("event %s does not fit the class of %s: nobody is told", event.seq, event.type)
        return None


def recipients(s: Session, event: Event) -> list[Message]:
    """One message per person to tell about `event` (none for other events). The person who
    caused the event is not told about it."""
    e = parsed(event)
    if e is None:
        return []
    actor = _caused_by(e)
    messages: list[Message] = []
    seen_users: set[str] = set()
    seen_addresses: set[str] = set()
    for draft in drafts(s, e):
        for person in draft.people:
            username = person.user.username if person.user is not None else None
            address = (person.address or "").strip()
            address = address if ADDRESS.fullmatch(address) else None  # a user's odd address too
            if username in seen_users or (address or "").lower() in seen_addresses:
                continue
            if (username is None and address is None) or (actor and username == actor.lower()):
                continue
            viewer = person.viewer
            if draft.about is not None and not access.can_read(viewer, draft.about):
                continue
            body = draft.body(viewer) if callable(draft.body) else draft.body
            if body is None:
                continue
            if username is not None:
                seen_users.add(username)
            if address is not None:
                seen_addresses.add(address.lower())
            link = draft.link if draft.link and len(draft.link) <= LINK_MAX else None
            title = draft.title(viewer) if callable(draft.title) else draft.title
            title = " ".join(title.split())[:TITLE_MAX]
            messages.append(Message(username, address, e.TYPE, title, body, link))
    return messages
