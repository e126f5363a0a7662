"""A notification before it is addressed: the people, the wording (fixed or per reader) and
the document it is about (kb.notifications.recipients drops whoever may not read it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kb.accounts.viewer import Viewer
from kb.documents.models import Document
from kb.notifications.people import Person

#: a message's text for one person (None: nothing to tell them)
Body = Callable[[Viewer], str | None]


@dataclass
class Draft:
    people: list[Person]
    title: str | Body
    body: str | Body
    link: str | None
    #: the document the event is about: whoever may not read it is not told
    about: Document | None = None
