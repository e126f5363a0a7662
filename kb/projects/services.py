"""The project registry: projects come from the starter content, documents that name them,
and (later) project lifecycle events."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.core.errors import ValidationError
from kb.core.time import utcnow
from kb.db import Database
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


def ensure_project(s: Session, key: str, name: str | None = None) -> None:
    """Register the project a document names on its first mention."""
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
    problems = []
    key = str(meta.get("key") or "").strip().upper()
    if not PROJECT_KEY.match(key):
        problems.append(
            "`key` must be 2-32 upper-case letters, digits or '-', starting with a letter."
        )
    name = str(meta.get("name") or "").strip()
    if not name:
        problems.append("`name` is required.")
    status = str(meta.get("status") or "active").strip().lower()
    if status not in PROJECT_STATUSES:
        problems.append(f"`status` must be one of: {', '.join(PROJECT_STATUSES)}.")
    fields = {"key": key, "name": name[:200], "status": status, "description": body.strip()}
    for k in ("portfolio", "manager"):
        fields[k] = str(meta[k]).strip()[:120] if meta.get(k) else None
    for k in ("started_on", "closed_on"):
        value = meta.get(k)
        if value is not None and not isinstance(value, date):
            problems.append(f"`{k}` must be a date written YYYY-MM-DD.")
            value = None
        fields[k] = value
    if problems:
        raise ValidationError(" ".join(problems))
    return fields


def project_source(project: Project) -> str:
    """The project as a file, in the canonical key order (export)."""
    meta = {k: getattr(project, k) for k in FIELDS if getattr(project, k) not in (None, "")}
    return frontmatter.join(meta, project.description + "\n" if project.description else "")


def upsert_project(s: Session, fields: dict) -> str:
    """Create or update from a project file; returns 'created', 'updated' or 'unchanged'."""
    project = s.get(Project, fields["key"])
    if project is None:
        project = Project(**fields)
        s.add(project)
        outcome = "created"
    else:
        changed = {k: x for k, x in fields.items() if getattr(project, k) != x}
        if not changed:
            return "unchanged"
        for k, x in changed.items():
            setattr(project, k, x)
        project.updated_at = utcnow()
        outcome = "updated"
    s.flush()
    saved = ProjectCreated if outcome == "created" else ProjectUpdated
    append_event(s, saved(key=project.key, name=project.name, status=project.status))
    return outcome
