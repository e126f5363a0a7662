"""The start page for new joiners (/start): their paths and progress, the paths for them to
take, the people they assigned a path to, the processes they take part in, the lessons that
matter most, the newest lessons and the glossary — each as the viewer may read it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, literal, select

from kb.accounts.viewer import Viewer
from kb.briefings.models import BriefingItem
from kb.db import Database
from kb.documents import access, glossary
from kb.documents import services as documents
from kb.documents.glossary import Term
from kb.documents.models import Document, DocumentLabel
from kb.paths import services as paths
from kb.paths.models import LearningPath
from kb.processes import involvement
from kb.readmodels.paths import PathView, Person, assigned_people, my_paths
from kb.recurrence.models import LessonRecurrence

SHOWN = 5
#: lesson statuses a new joiner reads: published, and on its way through its actions
PUBLISHED = ("published", "in_action", "actioned", "verified")
#: briefing answers that say the lesson was used
APPLIED = ("applies", "action_taken")


@dataclass(frozen=True)
class ImportantLesson:
    doc: Document
    recurrences: int
    applied: int


@dataclass
class StartPage:
    paths: list[PathView]
    #: active paths the viewer is not on
    to_take: list[LearningPath]
    assigned: list[tuple[LearningPath, Person]]
    processes: list[Document]
    important: list[ImportantLesson]
    newest: list[Document]
    terms: list[Term] = field(default_factory=list)


def processes_for(db: Database, viewer: Viewer) -> list[Document]:
    """The published process models the viewer takes part in ("Processes I'm in":
    kb.processes.involvement), those changed since they last looked first."""
    return [item.doc for item in involvement.processes_of(db, viewer)]


def role_topics(db: Database, mine: list[PathView]) -> list[str]:
    """The topics of the documents on the viewer's paths: what their role reads about."""
    ids = {s.doc_id for view in mine for s in view.steps if s.doc_id}
    if not ids:
        return []
    with db.read() as s:
        return sorted(
            set(
                s.scalars(
                    select(DocumentLabel.value).where(
                        DocumentLabel.kind == "topic", DocumentLabel.document_id.in_(ids)
                    )
                )
            )
        )


def important_lessons(
    db: Database, viewer: Viewer, topics: list[str], limit: int = SHOWN
) -> list[ImportantLesson]:
    """Published lessons whose problem recurred most, then those most often answered
    "applies" or "action taken" in briefings; those on `topics` (the viewer's role) first."""
    recurred = (
        select(LessonRecurrence.lesson_id, func.count().label("n"))
        .group_by(LessonRecurrence.lesson_id)
        .subquery()
    )
    applied = (
        select(BriefingItem.lesson_id, func.count().label("n"))
        .where(BriefingItem.response.in_(APPLIED))
        .group_by(BriefingItem.lesson_id)
        .subquery()
    )
    recurrences = func.coalesce(recurred.c.n, 0)
    uses = func.coalesce(applied.c.n, 0)
    query = (
        select(Document, recurrences, uses)
        .outerjoin(recurred, recurred.c.lesson_id == Document.id)
        .outerjoin(applied, applied.c.lesson_id == Document.id)
        .where(
            Document.type == "lesson",
            Document.status.in_(PUBLISHED + ("reopened",)),
            access.readable(viewer),
            (recurrences + uses) > 0,
        )
        .order_by(_on_topics(topics).desc(), recurrences.desc(), uses.desc(), Document.id)
        .limit(limit)
    )
    with db.read() as s:
        return [ImportantLesson(doc, r, a) for doc, r, a in s.execute(query)]


def _on_topics(topics: list[str]):  # noqa: ANN202
    if not topics:
        return literal(0)
    labelled = select(DocumentLabel.document_id).where(
        DocumentLabel.kind == "topic", DocumentLabel.value.in_(topics)
    )
    return case((Document.id.in_(labelled), 1), else_=0)


def start_page(db: Database, viewer: Viewer) -> StartPage:
    mine = my_paths(db, viewer)
    taken = {view.path.id for view in mine}
    newest = documents.list_documents(
        db, {"type": ["lesson"], "status": list(PUBLISHED)}, per_page=SHOWN, viewer=viewer
    )
    return StartPage(
        paths=mine,
        to_take=[p for p in paths.list_paths(db) if p.id not in taken],
        assigned=assigned_people(db, viewer),
        processes=processes_for(db, viewer),
        important=important_lessons(db, viewer, role_topics(db, mine)),
        newest=newest.items,
        terms=glossary.readable_terms(db, viewer),
    )
