"""Process model handlers (transactional: one effect per event; idempotent: the same event
again changes nothing).

- `org.pmo.process.changed` updates the model register (kb.processes.services).
- `org.pmo.kb.processmodel.published` (kb.processes.governance) closes the actions that
  target the model on the lessons the published version cites (kb.processes.links).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from kb.config import Config
from kb.events.jobs.registry import Handler, Registry
from kb.events.kinds.processes import ProcessModelPublished
from kb.events.log.models import Event
from kb.processes import links, services


def register(registry: Registry, config: Config) -> None:
    prefix = config.EVENT_TYPE_PREFIX

    def on_change(s: Session, event: Event) -> None:
        services.on_process_changed(s, event.data or {}, event_seq=event.seq)

    def on_published(s: Session, event: Event) -> None:
        e = ProcessModelPublished.from_data(event.data)
        links.close_addressed(s, e.id, e.version)  # `version`: the published revision

    registry.register(
        Handler(
            name="processes.on_change",
            types=(f"{prefix}.process.changed",),
            fn=on_change,
        )
    )
    registry.register(
        Handler(
            name="processes.close_addressed_actions",
            types=(ProcessModelPublished.full_type(),),
            fn=on_published,
        )
    )
