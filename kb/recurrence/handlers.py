"""`lesson.submitted` → recurrence detection (transactional: one effect per event)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kb.config import Config
from kb.events.jobs.registry import Handler, Registry
from kb.events.kinds.documents import LessonSubmitted
from kb.events.log.models import Event
from kb.recurrence import services
from kb.search import SearchIndex


def register(registry: Registry, config: Config, index: SearchIndex | None) -> None:
    def on_submitted(s: Session, event: Event) -> None:
        submitted = LessonSubmitted.from_data(event.data)
        services.detect_recurrences(s, index, submitted.id, event_seq=event.seq)

    registry.register(
        Handler(
            name="recurrence.on_submitted", types=(LessonSubmitted.full_type(),), fn=on_submitted
        )
    )
