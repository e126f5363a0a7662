"""The PMO's tasks: opening one (the domain that needs it decides when), listing them, and
marking one done — who, when, with an optional note — with its audit entry and
`org.pmo.kb.task.completed`."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.accounts.services import audit
from kb.accounts.viewer import Viewer
from kb.core.errors import Conflict, Forbidden, NotFound, ValidationError
from kb.core.time import iso, utcnow
from kb.db import Database
from kb.documents import access
from kb.documents.models import Document
from kb.events.kinds.processes import TaskCompleted
from kb.events.log.services import append_event
from kb.tasks.models import Task

#: the kinds kb makes today, in the order the task page shows them (others follow)
KINDS = ("confirm_bau_owner", "verify_lesson", "revalidate_lesson", "review_process_model")
#: who kb's tasks are for
PMO = "PMO"
STATUSES = ("open", "done")
MAX_NOTE = 2000
#: what a task kind looks like (also the OpenAPI document's pattern for `kind`)
KIND_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
_KIND = re.compile(KIND_PATTERN)


def task_json(task: Task) -> dict:
    return {
        "id": task.id,
        "kind": task.kind,
        "subject": task.subject,
        "assignee": task.assignee,
        "status": task.status,
        "created_at": iso(task.created_at),
        "details": dict(task.details or {}),
        "done_at": iso(task.done_at),
        "done_by": task.done_by,
        "note": task.note,
    }


def open_task(s: Session, kind: str, subject: str, details: dict, *, assignee: str = PMO) -> Task:
    """Open a task in the caller's transaction (the caller decides whether one is due)."""
    task = Task(
        kind=kind,
        subject=subject,
        assignee=assignee,
        status="open",
        created_at=utcnow(),
        details=details,
    )
    s.add(task)
    return task


def tasks_about(s: Session, kind: str, subject: str, *, status: str | None = None) -> list[Task]:
    """The tasks of one kind about one subject (e.g. lessons/LL-2025-0007), oldest first."""
    query = select(Task).where(Task.kind == kind, Task.subject == subject)
    if status is not None:
        query = query.where(Task.status == status)
    return list(s.scalars(query.order_by(Task.id)))


def list_tasks(
    db: Database,
    *,
    kind: str | None = None,
    status: str | None = "open",
    project: str | None = None,
) -> list[Task]:
    """Tasks oldest first; `status` None for open and done alike; with `project`, those
    opened for that project."""
    if kind is not None and not _KIND.match(kind):
        raise ValidationError(
            "`kind` is a task kind such as " + ", ".join(KINDS) + ".", field="kind"
        )
    if status is not None and status not in STATUSES:
        raise ValidationError("`status` must be open, done or all.", field="status")
    query = select(Task)
    if kind is not None:
        query = query.where(Task.kind == kind)
    if status is not None:
        query = query.where(Task.status == status)
    order = (Task.done_at.desc(), Task.id.desc()) if status == "done" else (Task.id,)
    with db.read() as s:
        found = list(s.scalars(query.order_by(*order)))
    if project is not None:
        found = [t for t in found if (t.details or {}).get("project") == project.upper()]
    return found


def by_kind(tasks: list[Task]) -> list[tuple[str, list[Task]]]:
    """(kind, its tasks) in KINDS order, then any other kind alphabetically; empty kinds out."""
    groups: dict[str, list[Task]] = {}
    for task in tasks:
        groups.setdefault(task.kind, []).append(task)
    order = [k for k in KINDS if k in groups] + sorted(k for k in groups if k not in KINDS)
    return [(k, groups[k]) for k in order]


def _note(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValidationError("`note` must be text.", field="note")
    value = (value or "").strip()
    if len(value) > MAX_NOTE:
        raise ValidationError(f"Keep the note under {MAX_NOTE:,} characters.", field="note")
    return value or None


def complete_task(db: Database, task_id: int, *, viewer: Viewer, note: object = None) -> Task:
    """A curator marks a task done: who and when are recorded, with the note if any."""
    if not viewer.has_role("curator"):
        raise Forbidden("Only curators (the PMO) can mark the PMO's tasks done.")
    note = _note(note)
    with db.write() as s:
        task = s.get(Task, task_id, with_for_update=True)
        if task is None:
            raise NotFound(f"There is no task {task_id}.")
        if task.status != "open":
            raise Conflict(f"Task {task_id} is done already (by {task.done_by or 'someone'}).")
        mark_done(s, task, actor=viewer.actor, note=note)
        s.flush()
        s.expunge(task)
    return task


def mark_done(s: Session, task: Task, *, actor: str, note: str | None) -> None:
    """Mark an open task (loaded in `s`) done by `actor`, with its audit entry and event."""
    task.status, task.done_at, task.done_by, task.note = "done", utcnow(), actor, note
    details = task.details or {}
    audit(
        s,
        actor,
        "task.completed",
        f"tasks/{task.id}",
        kind=task.kind,
        subject=task.subject,
        note=note,
    )
    # about the task's subject (lessons/<id>, processes/<id>), so that subscribers see it
    # only when they may read that document
    append_event(
        s,
        TaskCompleted(
            id=task.subject.split("/", 1)[-1],
            task=task.id,
            kind=task.kind,
            title=details.get("title"),
            assignee=task.assignee,
            done_by=task.done_by,
            done_at=task.done_at,
            note=note,
        ),
        partition_key=details.get("project"),
    )


def verification_queue(db: Database, viewer: Viewer) -> list[tuple[Task, Document]]:
    """Open `verify_lesson` tasks with their lessons (those the viewer may read), oldest first."""
    query = (
        select(Task, Document)
        .join(Document, Task.subject == "lessons/" + Document.id)
        .where(Task.kind == "verify_lesson", Task.status == "open", access.readable(viewer))
        .order_by(Task.created_at, Task.id)
    )
    with db.read() as s:
        return [(task, doc) for task, doc in s.execute(query)]
