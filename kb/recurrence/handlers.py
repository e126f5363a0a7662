"""`lesson.submitted` → recurrence detection (transactional: one effect per event)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kb.config import Config
from kb.events.jobs.registry import Handler, Registry
from kb.events.log.models import Event
from kb.events.log.services import KB_TYPE_PREFIX
from kb.recurrence import services
from kb.search import SearchIndex


def register(registry: Registry, config: Config, index: SearchIndex | None) -> None:
    def on_submitted(s: Session, event: Event) -> None:
        lesson_id = (event.data or {}).get("id")
        if isinstance(lesson_id, str) and lesson_id:
            services.detect_recurrences(s, index, lesson_id, event_seq=event.seq)

    registry.register(Handler(name="recurrence.on_submitted",
                              types=(f"{KB_TYPE_PREFIX}.lesson.submitted",),
                              fn=on_submitted))  # fmt: skip
