"""kb's own events, one class per type (see base.py). Emitters construct one and hand it to
`kb.events.log.services.append_event`; readers turn a stored event back into its class with
`parse`. The classes import nothing of kb above `kb.core`, so every domain may use them."""

from kb.events.kinds import documents, lessons, paths, processes, projects, webhooks
from kb.events.kinds.base import KB_SOURCE, KB_TYPE_PREFIX, KINDS, KbEvent, of_type, parse

__all__ = [
    "KB_SOURCE",
    "KB_TYPE_PREFIX",
    "KINDS",
    "KbEvent",
    "documents",
    "lessons",
    "of_type",
    "parse",
    "paths",
    "processes",
    "projects",
    "webhooks",
]
