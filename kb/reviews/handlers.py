"""`project.closed` opens the project's lessons review and hands its process models to the
PMO; `audit.completed` drafts lessons from its findings (kb.reviews.audits). Transactional:
one effect per event; idempotent: a repeated closure or audit changes nothing."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kb.config import Config
from kb.events.jobs.registry import Handler, Registry
from kb.events.log.models import Event
from kb.reviews import audits, services


def register(registry: Registry, config: Config) -> None:
    due_days = config.REVIEW_DUE_DAYS

    def open_on_closure(s: Session, event: Event) -> None:
        services.on_project_closed(
            s, event.data or {}, due_days=due_days, event_seq=event.seq, event_time=event.time
        )

    registry.register(
        Handler(
            name="reviews.open_on_closure",
            types=(f"{config.EVENT_TYPE_PREFIX}.project.closed",),
            fn=open_on_closure,
        )
    )
    audits.register(registry, config)
