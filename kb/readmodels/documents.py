"""A document as its page and `GET /api/<collection>/<id>` show it: the current revision,
its project, related documents and, for a lesson, its status steps, actions, possible
duplicates, recurrences and the review holding it — each as the viewer may see it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from kb.accounts.viewer import Viewer
from kb.actions import services as actions
from kb.actions.models import Action
from kb.core.time import utcnow
from kb.db import Database
from kb.documents import access, glossary, lifecycle, references, services
from kb.documents.models import Document, DocumentRevision
from kb.processes import links
from kb.processes.roles import shown_revision
from kb.projects.models import Project
from kb.readmodels.process_governance import ProcessDetail, process_detail
from kb.readmodels.process_review import ReviewCycle, review_cycle
from kb.readmodels.processes import ProcessParts, process_parts
from kb.recurrence import services as recurrence
from kb.recurrence.similarity import Similar
from kb.reviews import drafts
from kb.search import Hit, IndexUnavailable, SearchIndex

log = logging.getLogger(__name__)
RELATED = 5


#: steps that end or undo a lesson's course: never the primary choice, offered last
DESTRUCTIVE = ("rejected", "archived", "merged")


@dataclass(frozen=True)
class Step:
    """A status the viewer may move the lesson to now."""

    to: str
    reason_required: bool
    destructive: bool
    #: the one step the page offers as its main button (the first forward step)
    primary: bool


@dataclass(frozen=True)
class ActionItem:
    action: Action
    may_close: bool


@dataclass
class LessonDetail:
    """The parts of a lesson's page that other kinds of document do not have."""

    steps: list[Step]
    actions: list[ActionItem]
    may_add_actions: bool
    #: possible duplicates, for the lesson's author and curators (others: [])
    similar: list[Similar]
    #: whether the viewer may merge the lesson into one of them
    may_merge: bool
    recurrence_count: int
    recurrences: list[recurrence.Recurrence]
    #: the project key of the open review holding this draft, when the viewer may complete
    #: it there
    in_review: str | None
    #: the process models its actions target or that cite it (kb.processes.links)
    process_links: list[links.Link] = field(default_factory=list)


@dataclass
class TermDetail:
    """A glossary term's other names, and its related terms: (name, id of the term when the
    viewer may read one of that name, else None)."""

    aliases: list[str]
    related: list[tuple[str, str | None]]


@dataclass
class DocumentDetail:
    doc: Document
    revision: DocumentRevision
    #: the body as shown: the revision's HTML with the first use of each glossary term linked
    html: str
    project: Project | None
    merged: references.MergedInto | None
    #: the front matter keys kb does not model, as the viewer may read them
    extra: dict
    related: list[Hit] = field(default_factory=list)
    #: False when the search index could not be read: related documents and possible
    #: duplicates are unknown, not absent (the page says so)
    index_available: bool = True
    lesson: LessonDetail | None = None
    #: a process model's governance: roles, approvers, steps, versions, what the viewer sees
    process: ProcessDetail | None = None
    #: a process model's health, reviews and changes since the viewer last looked
    review_cycle: ReviewCycle | None = None
    #: a process model's steps, linked lessons and counterparts to compare with
    process_parts: ProcessParts | None = None
    #: a glossary term's related terms and where it is used
    term: TermDetail | None = None


def document_detail(
    db: Database,
    index: SearchIndex,
    doc_id: str,
    viewer: Viewer,
    *,
    doc_type: str | None = None,
    similar_while: Collection[str] | None = None,
    term_href: Callable[[str], str] | None = None,
) -> DocumentDetail | None:
    """None when there is no such document (of `doc_type`) or `viewer` may not read it.
    `similar_while`: the lesson statuses in which possible duplicates are looked up (None:
    all; the page shows them only while curators decide). `term_href`: a glossary term's
    address, to link the first use of each term in the body (None: not linked)."""
    found = services.get_readable_page(db, doc_id, viewer)
    if found is None or (doc_type is not None and found[0].type != doc_type):
        return None
    doc, project = found
    merged = references.merged_into(db, doc, viewer)
    revision = doc.current_revision
    if (shown := shown_revision(doc, viewer)) != doc.version:  # a reader: the published version
        revision = services.get_revision(db, doc.id, shown, viewer=viewer)
    detail = DocumentDetail(
        doc=doc,
        revision=revision,
        html=revision.html
        if term_href is None
        else glossary.link_terms(db, viewer, revision.html, term_href, own=doc.id),
        project=project,
        merged=merged,
        extra=references.visible_extra(doc, merged),
    )
    similar: list[Similar] = []
    try:
        detail.related = index.more_like(doc.id, limit=RELATED, reader=access.reader(viewer))
        if similar_while is None or doc.status in similar_while:
            similar = recurrence.find_similar(db, index, doc, viewer)
    except IndexUnavailable:
        log.warning(
            "related documents of %s: the search index is unavailable", doc.id, exc_info=True
        )
        detail.index_available = False
    if doc.type == "lesson":
        detail.lesson = _lesson_parts(db, doc, viewer, similar)
    elif doc.type == "process":
        detail.process = process_detail(db, doc, viewer)
        detail.review_cycle = review_cycle(db, doc, viewer, utcnow().date())
        detail.process_parts = process_parts(db, doc, viewer)
    elif doc.type == "term":
        detail.term = _term_parts(db, doc, viewer)
    return detail


def _term_parts(db: Database, doc: Document, viewer: Viewer) -> TermDetail:
    extra = doc.extra or {}
    by_name = {}
    for term in glossary.readable_terms(db, viewer):
        for name in (term.id, term.title, *term.aliases):
            by_name.setdefault(name.casefold(), term.id)
    return TermDetail(
        aliases=list(extra.get("aliases", [])),
        related=[(name, by_name.get(name.casefold())) for name in extra.get("related", [])],
    )


def lesson_detail(
    db: Database, index: SearchIndex, doc_id: str, viewer: Viewer
) -> DocumentDetail | None:
    return document_detail(db, index, doc_id, viewer, doc_type="lesson")


def _lesson_parts(
    db: Database, doc: Document, viewer: Viewer, similar: list[Similar]
) -> LessonDetail:
    allowed = lifecycle.allowed_transitions(viewer, doc)
    rules = lifecycle.TRANSITIONS.get(doc.status, {})
    count, found = recurrence.recurrences(db, doc.id, viewer)
    listed = actions.list_actions(db, doc, viewer=viewer)
    return LessonDetail(
        steps=_steps(allowed, rules),
        actions=[ActionItem(a, actions.may_close(viewer, a)) for a in listed],
        may_add_actions=actions.may_add(viewer, doc),
        similar=similar,
        may_merge="merged" in allowed,
        recurrence_count=count,
        recurrences=found,
        in_review=drafts.review_to_complete(db, viewer, doc),
        process_links=links.links_of_lesson(db, doc, viewer, listed),
    )


def _steps(allowed: list[str], rules: dict) -> list[Step]:
    """Forward steps first (the first of them primary), then the destructive ones."""
    ordered = [to for to in allowed if to not in DESTRUCTIVE] + [
        to for to in allowed if to in DESTRUCTIVE
    ]
    return [
        Step(to, rules[to].reason_required, to in DESTRUCTIVE, i == 0 and to not in DESTRUCTIVE)
        for i, to in enumerate(ordered)
    ]
