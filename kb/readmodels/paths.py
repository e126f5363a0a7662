"""A path as its page and `GET /api/paths/<id>` show it: each step as the viewer may see it
(a document they may not read shows no title), their progress ("continue where you left
off", steps to re-read because their document changed), and — for curators, and for whoever
assigned it — the people on it and how far they got."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from kb.accounts.models import User
from kb.accounts.viewer import SYSTEM, Viewer
from kb.core.errors import NotFound
from kb.db import Database
from kb.documents import access
from kb.documents.models import Document
from kb.paths import progress, services
from kb.paths.models import Enrolment, LearningPath, PathStep

HIDDEN_TITLE = "A document you may not read"


@dataclass(frozen=True)
class StepView:
    step: PathStep
    title: str
    #: the document's type and id when the viewer may read it; None for a link or hidden
    doc_type: str | None
    doc_id: str | None
    link: str | None  # an address elsewhere
    opened: bool
    acknowledged: bool
    #: acknowledged, but its document has a newer revision since
    reread: bool

    @property
    def hidden(self) -> bool:
        return self.doc_id is None and self.link is None

    @property
    def done(self) -> bool:
        return self.acknowledged and not self.reread


@dataclass(frozen=True)
class Person:
    username: str
    display_name: str
    assigned_by: str | None
    started_at: datetime
    completed_at: datetime | None
    done: int
    total: int


@dataclass
class PathView:
    path: LearningPath
    steps: list[StepView]
    enrolment: Enrolment | None
    people: list[Person] = field(default_factory=list)
    may_curate: bool = False

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def done(self) -> int:
        return sum(1 for step in self.steps if step.done)

    @property
    def to_reread(self) -> list[StepView]:
        return [step for step in self.steps if step.reread]

    @property
    def completed(self) -> bool:
        return self.enrolment is not None and self.enrolment.completed_at is not None

    @property
    def next_step(self) -> StepView | None:
        """Where to continue: the first step not read (or to read again)."""
        return next((step for step in self.steps if not step.done), None)

    @property
    def minutes_left(self) -> int:
        return sum(step.step.minutes for step in self.steps if not step.done)


def _documents(db: Database, paths: list[LearningPath]) -> dict[str, Document]:
    wanted = {step.target for path in paths for step in path.steps if not step.is_link}
    if not wanted:
        return {}
    with db.read() as s:
        return {d.id: d for d in s.scalars(select(Document).where(Document.id.in_(wanted)))}


def _steps(
    path: LearningPath, enrolment: Enrolment | None, docs: dict[str, Document], viewer: Viewer
) -> list[StepView]:
    done = {p.step_id: p for p in enrolment.progress} if enrolment else {}
    views = []
    for step in path.steps:
        doc = None if step.is_link else docs.get(step.target)
        readable = step.is_link or (doc is not None and access.can_read(viewer, doc))
        mine = done.get(step.id)
        acknowledged = bool(mine and mine.acknowledged_at)
        views.append(
            StepView(
                step=step,
                title=step.title if readable else HIDDEN_TITLE,
                doc_type=doc.type if doc is not None and readable else None,
                doc_id=doc.id if doc is not None and readable else None,
                link=step.target if step.is_link else None,
                opened=bool(mine and mine.opened_at),
                acknowledged=acknowledged,
                reread=acknowledged
                and doc is not None
                and mine.acknowledged_version is not None
                and doc.version > mine.acknowledged_version,
            )
        )
    return views


def _person(path: LearningPath, enrolment: Enrolment, user: User, docs) -> Person:  # noqa: ANN001
    """A person's progress as a curator or their assigner sees it: every step counts."""
    steps = _steps(path, enrolment, docs, SYSTEM)
    return Person(
        user.username,
        user.display_name,
        enrolment.assigned_by,
        enrolment.started_at,
        enrolment.completed_at,
        sum(1 for step in steps if step.done),
        len(steps),
    )


def _people(db: Database, path: LearningPath, viewer: Viewer, docs) -> list[Person]:  # noqa: ANN001
    if viewer.has_role("curator"):
        found = progress.people_on(db, path.id)
    elif viewer.username:
        found = progress.people_on(db, path.id, assigned_by=viewer.username)
    else:
        return []
    return [_person(path, enrolment, user, docs) for enrolment, user in found]


def path_view(db: Database, viewer: Viewer, path_id: str) -> PathView:
    """Raises NotFound when there is no such path."""
    path = services.get_path(db, path_id)
    docs = _documents(db, [path])
    enrolment = (
        next((e for e in progress.enrolments_of(db, viewer.user_id) if e.path_id == path.id), None)
        if viewer.user_id is not None
        else None
    )
    return PathView(
        path=path,
        steps=_steps(path, enrolment, docs, viewer),
        enrolment=enrolment,
        people=_people(db, path, viewer, docs),
        may_curate=viewer.has_role("curator"),
    )


def my_paths(db: Database, viewer: Viewer) -> list[PathView]:
    """The viewer's paths with their progress, unfinished first."""
    if viewer.user_id is None:
        return []
    enrolments = progress.enrolments_of(db, viewer.user_id)
    paths = {p.id: p for p in services.list_paths(db, retired=True)}
    docs = _documents(db, list(paths.values()))
    views = [
        PathView(paths[e.path_id], _steps(paths[e.path_id], e, docs, viewer), e)
        for e in enrolments
        if e.path_id in paths
    ]
    return sorted(views, key=lambda v: v.completed)


def assigned_people(db: Database, viewer: Viewer) -> list[tuple[LearningPath, Person]]:
    """The paths the viewer assigned to others, with each person's progress."""
    if not viewer.username:
        return []
    found = progress.assigned_by(db, viewer.username)
    paths = {p.id: p for p in services.list_paths(db, retired=True)}
    docs = _documents(db, list(paths.values()))
    return [(paths[e.path_id], _person(paths[e.path_id], e, user, docs)) for e, user in found]


@dataclass(frozen=True)
class PathBar:
    """A path step as its document's page shows it when opened from the path: where it is in
    the path and what comes after it."""

    view: PathView
    step: StepView
    number: int  # 1-based

    @property
    def following(self) -> StepView | None:
        """The next step the viewer may open, if any."""
        later = self.view.steps[self.number :]
        return next((step for step in later if not step.hidden), None)


def path_bar(
    db: Database, viewer: Viewer, path_id: str, step_id: int, doc_id: str
) -> PathBar | None:
    """The bar for `doc_id` opened as step `step_id` of a path; None when the path does not
    exist or that step is not this document (an old or hand-made address)."""
    try:
        view = path_view(db, viewer, path_id)
    except NotFound:
        return None
    for number, step in enumerate(view.steps, start=1):
        if step.step.id == step_id and step.doc_id == doc_id:
            return PathBar(view, step, number)
    return None
