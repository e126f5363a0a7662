"""The project register: projects come from project lifecycle events, project files
(`projects/*.md`, the starter content), a curator registering one on the projects page, and
`kb import --create-projects`. A document naming a project the register does not hold is
refused with the nearest ones: a typo never registers a project."""

from __future__ import annotations

import difflib
import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.accounts.services import audit
from kb.core.errors import Conflict, ValidationError
from kb.core.time import utcnow
from kb.db import Database
from kb.events.kinds import KbEvent
from kb.events.kinds.projects import ProjectCreated, ProjectRegistered, ProjectUpdated
from kb.events.log.services import append_event
from kb.markdown import frontmatter
from kb.projects.models import Project

PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9-]{1,31}$")
PROJECT_STATUSES = ("proposed", "active", "closed", "cancelled")
FIELDS = ("key", "name", "status", "portfolio", "manager", "started_on", "closed_on")


def get_project(db: Database, key: str) -> Project | None:
    with db.read() as s:
        return s.get(Project, key.upper())


def list_projects(db: Database) -> list[Project]:
    with db.read() as s:
        return list(s.scalars(select(Project).order_by(Project.status, Project.name)))


class UnknownProject(ValidationError, status=422, code="unknown_project"):
    """A document names a project the register does not hold."""


def nearest_projects(register: list[Project], typed: str, n: int = 3) -> list[Project]:
    """The registered projects whose key or name is closest to what was typed."""
    labels = {p.key.casefold(): p for p in register} | {p.name.casefold(): p for p in register}
    near = difflib.get_close_matches(typed.casefold(), list(labels), n=n, cutoff=0.6)
    return list({labels[x].key: labels[x] for x in near}.values())


def unknown_project(typed: str, register: list[Project]) -> UnknownProject:
    """'Unknown project HARBUOR — did you mean HARBOUR (Harbour Warehouse Automation)?'"""
    near = nearest_projects(register, typed)
    named = " or ".join(f"{p.key} ({p.name})" if p.name != p.key else p.key for p in near)
    hint = (
        f"did you mean {named}?"
        if near
        else "a curator registers new projects on the projects page."
    )
    return UnknownProject(
        f"Unknown project {typed} — {hint}",
        field="project",
        details={"project": typed, "suggestions": [p.key for p in near]},
    )


def _register(s: Session) -> list[Project]:
    return list(s.scalars(select(Project).order_by(Project.key)))


def resolve_project(s: Session, key: str, name: str | None = None) -> str:
    """The registered key a document's `project:` means (its key, or a registered project's
    name); UnknownProject (422, field `project`) with the nearest ones otherwise."""
    known = s.info.setdefault("kb_known_projects", set())  # bulk imports name few projects
    if key in known:
        return key
    if s.get(Project, key) is not None:
        known.add(key)
        return key
    register = _register(s)
    if name:
        for project in register:
            if name.casefold() == project.name.casefold():
                return project.key
    raise unknown_project(name or key, register)


def register_new_project(db: Database, fields: dict, *, actor: str) -> Project:
    """A curator registers a project (fields as project_fields gives them); Conflict when
    its key is taken."""
    with db.write() as s:
        if s.get(Project, fields["key"]) is not None:
            raise Conflict(f"A project {fields['key']} is already registered.", field="key")
        upsert_project(s, fields)
        audit(s, actor, "project.created", fields["key"])
    return get_project(db, fields["key"])


def ensure_project(s: Session, key: str, name: str | None = None) -> None:
    """Register a project on its first mention by a project tool's event (an audit of a
    project kb has not heard of) or by `kb import --create-projects`."""
    known = s.info.setdefault("kb_known_projects", set())  # bulk imports name few projects
    if key in known:
        return
    known.add(key)
    if s.get(Project, key) is None:
        project = Project(key=key, name=name or key, status="active")
        s.add(project)
        s.flush()  # before the document that refers to it
        append_event(s, ProjectRegistered(key=key, name=project.name))


def parse_project(source: str) -> dict:
    """A project file (front matter + description) -> validated fields."""
    meta, body = frontmatter.split(source)
    return project_fields(meta, body)


def project_fields(meta: dict, description: str = "") -> dict:
    """Front matter (or a curator's form, dates as `date`) -> validated fields; one
    ValidationError naming every problem, its field the first one's."""
    problems, fields_at_fault = [], []
    key = str(meta.get("key") or "").strip().upper()
    if not PROJECT_KEY.match(key):
        problems.append(
            "`key` must be 2-32 upper-case letters, digits or '-', starting with a letter."
        )
        fields_at_fault.append("key")
    name = str(meta.get("name") or "").strip()
    if not name:
        problems.append("`name` is required.")
        fields_at_fault.append("name")
    status = str(meta.get("status") or "active").strip().lower()
    if status not in PROJECT_STATUSES:
        problems.append(f"`status` must be one of: {', '.join(PROJECT_STATUSES)}.")
        fields_at_fault.append("status")
    fields = {"key": key, "name": name[:200], "status": status, "description": description.strip()}
    for k in ("portfolio", "manager"):
        fields[k] = str(meta[k]).strip()[:120] if meta.get(k) else None
    for k in ("started_on", "closed_on"):
        value = meta.get(k)
        if value is not None and not isinstance(value, date):
            problems.append(f"`{k}` must be a date written YYYY-MM-DD.")
            fields_at_fault.append(k)
            value = None
        fields[k] = value
    if problems:
        raise ValidationError(" ".join(problems), field=fields_at_fault[0])
    return fields


def project_source(project: Project) -> str:
    """The project as a file, in the canonical key order (export)."""
    meta = {k: getattr(project, k) for k in FIELDS if getattr(project, k) not in (None, "")}
    return frontmatter.join(meta, project.description + "\n" if project.description else "")


def upsert_project(s: Session, fields: dict) -> str:
    """Create or update from a project file; returns 'created', 'updated' or 'unchanged'."""
    return apply_project(s, fields, s.get(Project, fields["key"]))


def apply_project(s: Session, fields: dict, project: Project | None) -> str:
    """upsert_project() when the caller has just read the project (None: there is none), so
    that a new project is not looked up twice (the register handler: one query in four)."""
    outcome, project, saved = change_project(s, fields, project)
    if saved is not None:
        s.flush()
        append_event(s, saved)
    return outcome


def change_project(
    s: Session, fields: dict, project: Project | None
) -> tuple[str, Project, KbEvent | None]:
    """The project after `fields` (a new one added to the session), whether it was 'created',
    'updated' or 'unchanged', and the event that says so (None: unchanged), neither flushed
    nor appended: the register handler appends a claim's events together."""
    if project is None:
        project = Project(**fields)
        s.add(project)
        outcome = "created"
    else:
        changed = {k: x for k, x in fields.items() if getattr(project, k) != x}
        if not changed:
            return "unchanged", project, None
        for k, x in changed.items():
            setattr(project, k, x)
        project.updated_at = utcnow()
        outcome = "updated"
    saved = ProjectCreated if outcome == "created" else ProjectUpdated
    return outcome, project, saved(key=project.key, name=project.name, status=project.status)
