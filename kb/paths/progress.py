"""A person on a path: taken by choice or assigned by a curator; steps opened and
acknowledged ("I've read this"); the path completed when every step is acknowledged.

Opening a step is private state (an audit entry, no event); taking, being assigned,
acknowledging and completing are events (kb.events.kinds.paths).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.accounts.models import User
from kb.accounts.services import audit
from kb.accounts.viewer import Viewer
from kb.core.errors import Conflict, Forbidden, NotFound, ValidationError
from kb.core.time import utcnow
from kb.db import Database
from kb.documents.models import Document
from kb.events.kinds.paths import PathCompleted, PathStarted, PathStepAcknowledged
from kb.events.log.services import append_event
from kb.paths.models import Enrolment, LearningPath, PathStep, StepProgress
from kb.paths.services import require_curator


def _signed_in(viewer: Viewer) -> int:
    if viewer.user_id is None or viewer.read_only:
        raise Forbidden("Sign in with your own account to follow a path.")
    return viewer.user_id


def _path(s: Session, path_id: str) -> LearningPath:
    path = s.get(LearningPath, path_id)
    if path is None:
        raise NotFound(f"There is no path {path_id}.")
    return path


def _enrolment(s: Session, path_id: str, user_id: int) -> Enrolment | None:
    return s.scalar(
        select(Enrolment).where(Enrolment.path_id == path_id, Enrolment.user_id == user_id)
    )


def _start(s: Session, path: LearningPath, user: User, assigned_by: str | None, actor: str):  # noqa: ANN202
    if path.status != "active":
        raise Conflict(f"{path.id} is retired: it takes nobody new.")
    enrolment = Enrolment(
        path_id=path.id, user_id=user.id, assigned_by=assigned_by, started_at=utcnow()
    )
    s.add(enrolment)
    s.flush()
    audit(s, actor, "path.started", path.id, person=user.username, assigned_by=assigned_by)
    append_event(
        s,
        PathStarted(
            id=path.id, title=path.title, person=user.username, assigned_by=assigned_by, actor=actor
        ),
        partition_key=path.id,
    )
    return enrolment


def take(db: Database, viewer: Viewer, path_id: str) -> Enrolment:
    """The viewer takes the path by choice (nothing changes when they are on it already)."""
    user_id = _signed_in(viewer)
    with db.write() as s:
        path = _path(s, path_id)
        found = _enrolment(s, path_id, user_id)
        if found is None:
            found = _start(s, path, s.get(User, user_id), None, viewer.actor)
        return found


def assign(db: Database, viewer: Viewer, path_id: str, username: object) -> Enrolment:
    """A curator puts a person on a path; completion is then shown to them too. (kb has no
    line managers: curators assign.)"""
    require_curator(viewer, "assign paths")
    name = username.strip().lower() if isinstance(username, str) else ""
    with db.write() as s:
        path = _path(s, path_id)
        user = s.scalar(select(User).where(User.username == name)) if name else None
        if user is None or not user.is_active:
            raise ValidationError(f"There is no active user '{name}'.", field="username")
        if _enrolment(s, path_id, user.id) is not None:
            raise Conflict(f"{user.display_name} is on {path.id} already.")
        return _start(s, path, user, viewer.actor, viewer.actor)


def _step(s: Session, path_id: str, step_id: int) -> PathStep:
    step = s.get(PathStep, step_id)
    if step is None or step.path_id != path_id:
        raise NotFound(f"{path_id} has no step {step_id}.")
    return step


def _progress(s: Session, enrolment: Enrolment, step: PathStep) -> StepProgress:
    found = next((p for p in enrolment.progress if p.step_id == step.id), None)
    if found is None:
        found = StepProgress(enrolment_id=enrolment.id, step_id=step.id)
        enrolment.progress.append(found)
    return found


def open_step(db: Database, viewer: Viewer, path_id: str, step_id: int) -> PathStep:
    """The step the viewer opens; recorded when they are on the path."""
    with db.write() as s:
        step = _step(s, path_id, step_id)
        if viewer.user_id is not None and not viewer.read_only:
            enrolment = _enrolment(s, path_id, viewer.user_id)
            if enrolment is not None:
                progress = _progress(s, enrolment, step)
                if progress.opened_at is None:
                    progress.opened_at = utcnow()
                    audit(s, viewer.actor, "path.step.opened", path_id, step=step.id)
        s.expunge(step)
        return step


def acknowledge(db: Database, viewer: Viewer, path_id: str, step_id: int) -> Enrolment:
    """ "I've read this": the viewer acknowledges a step at its document's current revision
    (taking the path first when they are not on it); the last one completes the path."""
    user_id = _signed_in(viewer)
    with db.write() as s:
        path = _path(s, path_id)
        step = _step(s, path_id, step_id)
        enrolment = _enrolment(s, path_id, user_id) or _start(
            s, path, s.get(User, user_id), None, viewer.actor
        )
        version = (
            None
            if step.is_link
            else s.scalar(select(Document.version).where(Document.id == step.target))
        )
        progress = _progress(s, enrolment, step)
        now = utcnow()
        progress.opened_at = progress.opened_at or now
        progress.acknowledged_at, progress.acknowledged_version = now, version
        s.flush()
        who = dict(
            id=path.id,
            title=path.title,
            person=viewer.actor,
            assigned_by=enrolment.assigned_by,
            actor=viewer.actor,
        )
        audit(s, viewer.actor, "path.step.acknowledged", path.id, step=step.id, version=version)
        append_event(
            s,
            PathStepAcknowledged(**who, step=step.id, target=step.target, version=version),
            partition_key=path.id,
        )
        done = {p.step_id for p in enrolment.progress if p.acknowledged_at is not None}
        if enrolment.completed_at is None and {x.id for x in path.steps} <= done:
            enrolment.completed_at = now
            audit(s, viewer.actor, "path.completed", path.id)
            append_event(s, PathCompleted(**who), partition_key=path.id)
        return enrolment


def enrolments_of(db: Database, user_id: int) -> list[Enrolment]:
    """A person's paths, the most recently started first."""
    with db.read() as s:
        return list(
            s.scalars(
                select(Enrolment)
                .where(Enrolment.user_id == user_id)
                .order_by(Enrolment.started_at.desc(), Enrolment.id.desc())
            )
        )


def unfinished(db: Database, user_id: int) -> bool:
    """Whether the person is on a path they have not completed."""
    with db.read() as s:
        return (
            s.scalar(
                select(Enrolment.id)
                .where(Enrolment.user_id == user_id, Enrolment.completed_at.is_(None))
                .limit(1)
            )
            is not None
        )


def people_on(db: Database, path_id: str, *, assigned_by: str | None = None):  # noqa: ANN201
    """(enrolment, user) of everyone on a path (or those `assigned_by` assigned)."""
    query = (
        select(Enrolment, User)
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.path_id == path_id)
        .order_by(User.username)
    )
    if assigned_by is not None:
        query = query.where(Enrolment.assigned_by == assigned_by)
    with db.read() as s:
        return [tuple(row) for row in s.execute(query)]


def assigned_by(db: Database, username: str):  # noqa: ANN201
    """(enrolment, user) of everyone `username` assigned a path to, newest first."""
    with db.read() as s:
        rows = s.execute(
            select(Enrolment, User)
            .join(User, User.id == Enrolment.user_id)
            .where(Enrolment.assigned_by == username)
            .order_by(Enrolment.started_at.desc())
        )
        return [tuple(row) for row in rows]
