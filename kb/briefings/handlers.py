"""`project.started` and `project.stagegate.passed` build a briefing for the project manager
(transactional: one briefing per event; a replay changes nothing)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kb.briefings import services
from kb.config import Config
from kb.events.jobs.registry import Handler, Registry
from kb.events.log.models import Event
from kb.search import SearchIndex


def register(registry: Registry, config: Config, index: SearchIndex | None) -> None:
    prefix = config.EVENT_TYPE_PREFIX
    started = f"{prefix}.project.started"

    def on_start_and_gate(s: Session, event: Event) -> None:
        kind = "started" if event.type == started else "gate"
        services.brief(s, index, event.data or {}, trigger_kind=kind, event_seq=event.seq)

    registry.register(
        Handler(
            name="briefings.on_start_and_gate",
            types=(started, f"{prefix}.project.stagegate.passed"),
            fn=on_start_and_gate,
        )
    )
