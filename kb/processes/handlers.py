"""`org.pmo.process.changed` updates the model register (transactional: one effect per event;
idempotent: the same event again changes nothing)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kb.config import Config
from kb.events.jobs.registry import Handler, Registry
from kb.events.log.models import Event
from kb.processes import services


def register(registry: Registry, config: Config) -> None:
    def on_change(s: Session, event: Event) -> None:
        services.on_process_changed(s, event.data or {}, event_seq=event.seq)

    registry.register(
        Handler(
            name="processes.on_change",
            types=(f"{config.EVENT_TYPE_PREFIX}.process.changed",),
            fn=on_change,
        )
    )
