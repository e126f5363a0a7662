"""Project lifecycle events from the organisation's project tools keep the register current.

`org.pmo.project.created|started|stagegate.passed|closed` upsert the project named by
`data.project.projectId`. Runs are ordered per project by the worker, and the handler is
transactional, so applying an event twice changes nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.config import Config
from kb.core.time import day_of
from kb.events.jobs.registry import Handler, Registry
from kb.events.log.models import Event
from kb.events.log.services import append_events
from kb.projects import services
from kb.projects.models import Project

#: the status each event moves a project to (closure depends on its type)
STATUS_BY_EVENT = {
    "project.created": "proposed",
    "project.started": "active",
    "project.stagegate.passed": "active",
}
CLOSED_AS = {"completed": "closed", "cancelled": "cancelled", "terminated": "cancelled"}


def project_fields(short_type: str, data: dict, current: Project | None) -> dict:
    """The register's fields after this event (what the event does not say is kept)."""
    info = data.get("project") or {}
    key = str(info["projectId"]).strip().upper()
    fields = {
        "key": key,
        "name": (info.get("name") or (current.name if current else key))[:200],
        "status": current.status if current else "proposed",
        "portfolio": info.get("portfolio") or (current.portfolio if current else None),
        "manager": data.get("managerEmail")
        or info.get("managerEmail")
        or (current.manager if current else None),
        "started_on": current.started_on if current else None,
        "closed_on": current.closed_on if current else None,
        "description": info.get("description") or (current.description if current else ""),
    }
    if short_type == "project.closed":
        fields["status"] = CLOSED_AS.get(data.get("closureType"), "closed")
        fields["closed_on"] = day_of(data.get("closedAt")) or fields["closed_on"]
    elif short_type == "project.created":
        if current is None:
            fields["started_on"] = day_of(data.get("plannedStart"))
    else:
        # started / gate passed: active again unless the project was closed meanwhile
        if fields["status"] not in ("closed", "cancelled"):
            fields["status"] = STATUS_BY_EVENT[short_type]
        if short_type == "project.started":
            fields["started_on"] = day_of(data.get("actualStart")) or fields["started_on"]
    for k in ("portfolio", "manager"):
        fields[k] = fields[k][:120] if fields[k] else None
    return fields


def register(registry: Registry, config: Config) -> None:
    prefix = config.EVENT_TYPE_PREFIX
    types = {
        f"{prefix}.{short}": short
        for short in (
            "project.created",
            "project.started",
            "project.stagegate.passed",
            "project.closed",
        )
    }

    def update_register(s: Session, event: Event) -> None:
        current = s.get(Project, key_of(event))
        services.apply_project(s, project_fields(types[event.type], event.data, current), current)

    def update_register_many(s: Session, events: list[Event]) -> None:
        """The events of a claim in order: their projects read with one query, their changes
        written and their events appended together (a query, two flushes and, on PostgreSQL,
        the log's lock for each event were three quarters of the drain's CPU)."""
        keys = {key_of(event) for event in events}
        known = {p.key: p for p in s.scalars(select(Project).where(Project.key.in_(keys)))}
        saved = []
        for event in events:
            current = known.get(key_of(event))
            fields = project_fields(types[event.type], event.data, current)
            _, known[fields["key"]], said = services.change_project(s, fields, current)
            saved += [said] if said is not None else []
        append_events(s, saved)

    registry.register(
        Handler(
            name="projects.register",
            types=tuple(types),
            fn=update_register,
            many=update_register_many,
        )
    )


def key_of(event: Event) -> str:
    """The key of the project an event is about ("" when it names none: project_fields fails)."""
    return str((event.data.get("project") or {}).get("projectId", "")).strip().upper()
