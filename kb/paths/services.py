"""Curating paths (curators: create, change, reorder, retire) and reading them.

Each change writes the path, an audit entry and an event (`org.pmo.kb.path.created`, ...) in
one transaction. A person's progress is in kb.paths.progress.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.accounts.services import audit
from kb.accounts.viewer import Viewer
from kb.core.errors import Forbidden, NotFound, ValidationError
from kb.core.time import utcnow
from kb.db import Database
from kb.documents import services as documents
from kb.documents.models import Document
from kb.events.kinds.paths import PathCreated, PathRetired, PathSaved, PathUpdated
from kb.events.log.services import append_event
from kb.paths.models import LearningPath, PathStep
from kb.paths.source import PATH_ID, PathFields, StepFields, is_document_id

PREFIX = "LP"


def require_curator(viewer: Viewer, what: str) -> None:
    if not viewer.has_role("curator"):
        raise Forbidden(f"Only curators (the PMO) can {what}.")


def list_paths(db: Database, *, retired: bool = False) -> list[LearningPath]:
    """Active paths by title (with `retired`, the retired ones after them)."""
    query = select(LearningPath).order_by(LearningPath.status, LearningPath.title)
    if not retired:
        query = query.where(LearningPath.status == "active")
    with db.read() as s:
        return list(s.scalars(query))


def get_path(db: Database, path_id: str) -> LearningPath:
    with db.read() as s:
        path = s.get(LearningPath, path_id) if PATH_ID.match(path_id or "") else None
        if path is None:
            raise NotFound(f"There is no path {path_id}.")
        return path


def _check_targets(s: Session, steps: list[StepFields]) -> None:
    wanted = {step.target for step in steps if is_document_id(step.target)}
    found = set(s.scalars(select(Document.id).where(Document.id.in_(wanted)))) if wanted else set()
    for number, step in enumerate(steps, 1):
        if not step.is_link and step.target not in found:
            raise ValidationError(
                f"Step {number} names {step.target}, which kb does not hold.", field="steps"
            )


def _set_steps(s: Session, path: LearningPath, steps: list[StepFields]) -> None:
    """Replace the steps; a step pointing where an existing one pointed keeps its id (and
    the progress recorded on it)."""
    kept: dict[str, list[PathStep]] = {}
    for old in path.steps:
        kept.setdefault(old.target, []).append(old)
    new_steps = []
    for position, fields in enumerate(steps, 1):
        step = kept[fields.target].pop(0) if kept.get(fields.target) else PathStep()
        step.position, step.title = position, fields.title
        step.target, step.minutes = fields.target, fields.minutes
        new_steps.append(step)
    path.steps = new_steps
    s.flush()


def _emit(s: Session, event: type[PathSaved], path: LearningPath, actor: str) -> None:
    audit(s, actor, event.TYPE, path.id, steps=len(path.steps))
    append_event(
        s,
        event(
            id=path.id,
            title=path.title,
            audience=path.audience,
            status=path.status,
            steps=len(path.steps),
            minutes=path.minutes,
            actor=actor,
        ),
        partition_key=path.id,
    )


def upsert(s: Session, fields: PathFields, actor: str) -> tuple[LearningPath, str]:
    """Write `fields` as a path (a new one, or the one with its id): (path, "created" |
    "updated" | "unchanged"). In the caller's transaction."""
    _check_targets(s, fields.steps)
    path = s.get(LearningPath, fields.id) if fields.id else None
    verb = "updated"
    if path is None:
        verb = "created"
        if fields.id:
            documents.reserve_counter(s, PREFIX, int(fields.id.rsplit("-", 1)[1]))
            path_id = fields.id
        else:
            path_id = _next_id(s)
        path = LearningPath(id=path_id, created_by=actor, created_at=utcnow(), steps=[])
        s.add(path)
    elif _same(path, fields):
        return path, "unchanged"
    path.title, path.audience, path.summary = fields.title, fields.audience, fields.summary
    path.status, path.updated_at = fields.status, utcnow()
    _set_steps(s, path, fields.steps)
    _emit(s, PathCreated if verb == "created" else PathUpdated, path, actor)
    return path, verb


def _next_id(s: Session) -> str:
    while s.get(LearningPath, candidate := f"{PREFIX}-{documents.bump_counter(s, PREFIX):04d}"):
        pass
    return candidate


def _same(path: LearningPath, fields: PathFields) -> bool:
    now = (path.title, path.audience, path.summary, path.status)
    steps = [(x.title, x.target, x.minutes) for x in path.steps]
    return now == (fields.title, fields.audience, fields.summary, fields.status) and steps == [
        (x.title, x.target, x.minutes) for x in fields.steps
    ]


def save_path(
    db: Database, viewer: Viewer, fields: PathFields, *, path_id: str | None = None
) -> LearningPath:
    """A curator creates a path (`path_id` None) or saves a new version of one."""
    require_curator(viewer, "create and change paths")
    if path_id is not None:
        get_path(db, path_id)
        fields.id = path_id
    elif fields.id is not None:
        with db.read() as s:
            if s.get(LearningPath, fields.id) is not None:
                raise ValidationError(f"{fields.id} already exists; edit it instead.", field="id")
    with db.write() as s:
        path, _ = upsert(s, fields, viewer.actor)
        path_id = path.id
    return get_path(db, path_id)


def move_step(db: Database, viewer: Viewer, path_id: str, step_id: int, offset: int) -> None:
    """A curator moves a step up (-1) or down (+1)."""
    require_curator(viewer, "reorder paths")
    with db.write() as s:
        path = s.get(LearningPath, path_id, with_for_update=True)
        if path is None:
            raise NotFound(f"There is no path {path_id}.")
        steps = list(path.steps)
        at = next((i for i, step in enumerate(steps) if step.id == step_id), None)
        if at is None:
            raise NotFound(f"{path_id} has no step {step_id}.")
        to = max(0, min(len(steps) - 1, at + offset))
        if to == at:
            return
        steps.insert(to, steps.pop(at))
        for position, step in enumerate(steps, 1):
            step.position = position
        path.updated_at = utcnow()
        s.flush()
        s.expire(path, ["steps"])
        _emit(s, PathUpdated, path, viewer.actor)


def retire_path(db: Database, viewer: Viewer, path_id: str) -> LearningPath:
    require_curator(viewer, "retire paths")
    with db.write() as s:
        path = s.get(LearningPath, path_id, with_for_update=True)
        if path is None:
            raise NotFound(f"There is no path {path_id}.")
        if path.status != "retired":
            path.status, path.updated_at = "retired", utcnow()
            _emit(s, PathRetired, path, viewer.actor)
    return get_path(db, path_id)
