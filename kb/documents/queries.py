"""Reading documents: one, their revisions, lists with filters, counts — always through the
access rules when a viewer is given."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload, selectinload

from kb.accounts.viewer import Viewer
from kb.core.errors import ValidationError
from kb.db import Database
from kb.documents import access, references
from kb.documents.models import Document, DocumentLabel, DocumentRevision
from kb.projects import services as projects
from kb.projects.models import Project

#: load a document's current revision with it (one query, also for lists)
WITH_REVISION = selectinload(Document.current_revision)
#: one document with its labels and current revision: one query (a page asks on every view)
ONE_WITH_REVISION = [joinedload(Document.labels), joinedload(Document.current_revision)]


def get_document(db: Database, doc_id: str, *, with_revision: bool = False) -> Document | None:
    """The document; with `with_revision`, its `current_revision` loaded too."""
    with db.read() as s:
        return s.get(Document, doc_id, options=ONE_WITH_REVISION if with_revision else [])


def get_revision(
    db: Database, doc_id: str, number: int | None = None, *, viewer: Viewer | None = None
) -> DocumentRevision | None:
    """One revision (the current one without `number`); with a `viewer`, its change note is
    the one they may read (kb.documents.references)."""
    if number is None:
        query = (
            select(DocumentRevision)
            .select_from(Document)
            .join(Document.current_revision)
            .where(Document.id == doc_id)
        )
    else:
        query = select(DocumentRevision).where(
            DocumentRevision.document_id == doc_id, DocumentRevision.number == number
        )
    with db.read() as s:
        revision = s.scalar(query)
        if revision is not None and viewer is not None:
            references.show_messages(s, [revision], viewer)
        return revision


def list_revisions(
    db: Database, doc_id: str, *, viewer: Viewer | None = None
) -> list[DocumentRevision]:
    """Every revision, newest first; with a `viewer`, as get_revision()."""
    with db.read() as s:
        revisions = list(
            s.scalars(
                select(DocumentRevision)
                .where(DocumentRevision.document_id == doc_id)
                .order_by(DocumentRevision.number.desc())
            )
        )
        if viewer is not None:
            references.show_messages(s, revisions, viewer)
        return revisions


@dataclass
class Page:
    items: list[Document]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


LIST_FILTERS = ("type", "topic", "phase", "project", "tag", "status", "polarity")


def get_readable(
    db: Database, doc_id: str, viewer: Viewer, *, with_revision: bool = False
) -> Document | None:
    """The document if `viewer` may read it; None otherwise (absent and hidden look alike)."""
    doc = get_document(db, doc_id, with_revision=with_revision)
    return doc if doc is not None and access.can_read(viewer, doc) else None


#: a document with its labels, current revision and project (built once: a page asks on every
#: view, and building the statement cost a fifth of running it)
PAGE_QUERY = (
    select(Document, Project)
    .outerjoin(Project, Project.key == Document.project_key)
    .options(*ONE_WITH_REVISION)
    .where(Document.id == bindparam("doc_id"))
)


def get_readable_page(
    db: Database, doc_id: str, viewer: Viewer
) -> tuple[Document, Project | None] | None:
    """As get_readable with the current revision, and the document's project read with it:
    what a document's page needs first, in one query."""
    with db.read() as s:
        found = s.execute(PAGE_QUERY, {"doc_id": doc_id}).unique().first()
    if found is None or not access.can_read(viewer, found[0]):
        return None
    return found[0], found[1]


@dataclass
class HitDetail:
    """What a search hit shows beyond the index: its own date, and for a restricted
    document the groups ("Restricted — finance, pmo")."""

    date_label: str
    date: object
    restricted_to: list[str] | None


def hit_details(db: Database, ids: list[str], viewer: Viewer) -> dict[str, HitDetail]:
    """{id: HitDetail} for the documents among `ids` that the viewer may read."""
    if not ids:
        return {}
    query = select(Document).where(Document.id.in_(ids), access.readable(viewer))
    with db.read() as s:
        return {
            doc.id: HitDetail(*doc.own_date, doc.groups if doc.visibility == "restricted" else None)
            for doc in s.scalars(query)
        }


def list_documents(
    db: Database,
    filters: dict[str, list[str]] | None = None,
    *,
    viewer: Viewer | None = None,
    page: int = 1,
    per_page: int = 20,
    sort: str = "updated",
    among: list[str] | None = None,
) -> Page:
    """Documents matching every filter (several values of one filter: any of them); with
    `among`, only those with these ids (a filter another domain computed, e.g. overdue)."""
    if page < 1:
        raise ValidationError("`page` starts at 1.", field="page")
    per_page = max(1, min(per_page, 100))
    query = select(Document)
    if viewer is not None:
        query = query.where(access.readable(viewer))
    if among is not None:
        query = query.where(Document.id.in_(among))
    for key, values in (filters or {}).items():
        values = [x for x in values if x]
        if not values:
            continue
        if key not in LIST_FILTERS:
            raise ValidationError(f"Unknown filter '{key}'.", field=key)
        if key in ("topic", "tag"):
            labels = select(DocumentLabel.document_id).where(
                DocumentLabel.kind == key, DocumentLabel.value.in_([x.lower() for x in values])
            )
            query = query.where(Document.id.in_(labels))
        elif key == "project":
            query = query.where(Document.project_key.in_([x.upper() for x in values]))
        else:
            query = query.where(getattr(Document, key).in_([x.lower() for x in values]))
    # "updated": last changed by a person first; imported files without a date of their own
    # after them (their import is no change of theirs)
    order = {
        "updated": (Document.changed_at.desc().nulls_last(), Document.updated_at.desc()),
        "title": (Document.title.asc(),),
        "id": (Document.id.asc(),),
        "order": (Document.reading_order.asc().nulls_last(),),
    }.get(sort)
    if order is None:
        raise ValidationError("`sort` must be one of: updated, title, id, order.", field="sort")
    with db.read() as s:
        total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
        items = list(
            s.scalars(
                query.order_by(*order, Document.id).offset((page - 1) * per_page).limit(per_page)
            )
        )
    return Page(items, total, page, per_page)


def count_documents(db: Database, viewer: Viewer | None = None) -> dict[str, int]:
    """Documents per type, e.g. {"lesson": 23, "process": 8, "guide": 4}."""
    query = select(Document.type, func.count()).group_by(Document.type)
    if viewer is not None:
        query = query.where(access.readable(viewer))
    with db.read() as s:
        rows = s.execute(query)
        return {doc_type: n for doc_type, n in rows}


@dataclass
class ProjectSummary:
    project: Project
    lessons: int
    processes: int


def project_summaries(db: Database, viewer: Viewer | None = None) -> list[ProjectSummary]:
    """Every project with its number of lessons and process models (that viewer may read)."""
    query = (
        select(Document.project_key, Document.type, func.count())
        .where(Document.project_key.is_not(None))
        .group_by(Document.project_key, Document.type)
    )
    if viewer is not None:
        query = query.where(access.readable(viewer))
    with db.read() as s:
        counts = {(key, doc_type): n for key, doc_type, n in s.execute(query)}
    return [
        ProjectSummary(p, counts.get((p.key, "lesson"), 0), counts.get((p.key, "process"), 0))
        for p in projects.list_projects(db)
    ]


def label_values(db: Database, kind: str, viewer: Viewer, limit: int = 500) -> list[str]:
    """The distinct labels of one kind (e.g. tags) on documents `viewer` may read: the form
    suggests them, so a restricted document's tags are not shown to people who cannot read it."""
    query = (
        select(DocumentLabel.value)
        .join(Document, Document.id == DocumentLabel.document_id)
        .where(DocumentLabel.kind == kind, access.readable(viewer))
        .distinct()
        .order_by(DocumentLabel.value)
        .limit(limit)
    )
    with db.read() as s:
        return list(s.scalars(query))
