"""Process model handlers (transactional: one effect per event; idempotent: the same event
again changes nothing).

- `org.pmo.process.changed` updates the model register (kb.processes.services).
- `org.pmo.kb.processmodel.published` closes the actions that target the model on the
  lessons the published version cites (kb.processes.links). Until the approval workflow
  emits that type, a model saved with `status: published` (`processmodel.created` /
  `.updated` with that status) is its publication.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from kb.config import Config
from kb.events.jobs.registry import Handler, Registry
from kb.events.kinds.base import KB_TYPE_PREFIX
from kb.events.log.models import Event
from kb.processes import links, services


def _revision(data: dict, key: str) -> int | None:
    """The revision the event names: `version` of a save (kb.events.kinds.documents), only an
    explicit `revision` of a publication (its `version` may be the model's own number)."""
    number = data.get(key)
    return number if isinstance(number, int) and not isinstance(number, bool) else None


def register(registry: Registry, config: Config) -> None:
    prefix = config.EVENT_TYPE_PREFIX
    published = f"{KB_TYPE_PREFIX}.processmodel.published"

    def on_change(s: Session, event: Event) -> None:
        services.on_process_changed(s, event.data or {}, event_seq=event.seq)

    def on_published(s: Session, event: Event) -> None:
        data = event.data or {}
        saved = event.type != published
        if saved and (data.get("type") != "process" or data.get("status") != links.PUBLISHED):
            return  # a save of a draft, or the register's own change (it has no `type`)
        number = _revision(data, "version" if saved else "revision")
        links.close_addressed(s, str(data.get("id") or ""), number)

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
            types=(
                published,
                f"{KB_TYPE_PREFIX}.processmodel.created",
                f"{KB_TYPE_PREFIX}.processmodel.updated",
            ),
            fn=on_published,
        )
    )
