"""'Processes I'm in': the published process models a person takes part in, and what changed
in each since they last looked.

A person is in a model when one of its roles — a swimlane of its steps (kb.processes.steps)
or a name in its `roles:` front matter — is their kb role or one of their groups, or when
they are its owner or expert (kb.processes.review). Names match whatever their case,
punctuation or plural: the group `project-managers` is in the lane "Project Manager".
Opening a model's page records the revision a signed-in person saw; a later revision by
someone else is "changed since you last looked", with its change notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kb.accounts.viewer import Viewer
from kb.core.time import utcnow
from kb.db import Database
from kb.documents import access
from kb.documents.models import Document, DocumentRevision
from kb.documents.queries import WITH_REVISION
from kb.markdown import frontmatter
from kb.processes.models import ProcessView
from kb.processes.review import names_of, roles_of
from kb.processes.roles import shown_revision
from kb.processes.steps import parse_steps

PUBLISHED, RETIRED = "published", "retired"
#: change notes listed per model (the newest)
CHANGES_SHOWN = 5
_WORD = re.compile(r"[^\W_]+")


def name_key(name: str) -> str:
    """'Project-Managers' and 'project manager' -> 'project manager'."""
    words = _WORD.findall(name.casefold())
    return " ".join(
        w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words
    )


@dataclass(frozen=True)
class Change:
    """A revision made after the one the person last saw."""

    number: int
    author: str | None
    message: str
    created_at: datetime


@dataclass
class Involvement:
    doc: Document
    #: why the person is in it: "lane Project Manager", "owner", "expert"
    why: list[str]
    #: what they saw when they last opened its page (None: never)
    seen: ProcessView | None
    #: revisions by others after the one they saw, newest first (at most CHANGES_SHOWN)
    changes: list[Change] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def roles_in(doc: Document) -> list[str]:
    """The model's roles: its lanes, then the `roles:` front matter names not drawn as lanes."""
    _, body = frontmatter.split(doc.current_revision.markdown if doc.current_revision else "")
    roles = list(parse_steps(body).roles)
    listed = (doc.extra or {}).get("roles")
    for name in listed if isinstance(listed, list) else []:
        if isinstance(name, str) and name_key(name) not in {name_key(r) for r in roles}:
            roles.append(name)
    return roles


def _names_the_lane(lane: str, terms: set[str]) -> bool:
    """A role or group names a lane as it is ('Project Managers': Project Manager) or as the
    team the lane belongs to (group 'pmo': PMO Analyst; 'finance': Finance Business Partner)."""
    return lane in terms or any(lane.startswith(term + " ") for term in terms)


def _why(doc: Document, terms: set[str], names: set[str]) -> list[str]:
    lanes = [f"role {r}" for r in roles_in(doc) if _names_the_lane(name_key(r), terms)]
    return lanes + [r for r in roles_of(names, doc) if r != "custodian"]


#: published, or published once and its next version in the works (kb.processes.governance)
_has_a_published_version = or_(
    Document.status == PUBLISHED,
    and_(Document.published_revision.is_not(None), Document.status != RETIRED),
)


def processes_of(db: Database, viewer: Viewer) -> list[Involvement]:
    """The published models `viewer` may read and takes part in, those changed since they
    last looked first, then by title."""
    if viewer.is_anonymous:
        return []
    terms = {name_key(x) for x in (viewer.role, *viewer.groups)} - {""}
    query = (
        select(Document)
        .options(WITH_REVISION)
        .where(Document.type == "process", access.readable(viewer), _has_a_published_version)
        .order_by(Document.title, Document.id)
    )
    with db.read() as s:
        names = names_of(s, viewer)
        found = []
        for doc in s.scalars(query):
            why = _why(doc, terms, names)
            if why:
                found.append(Involvement(doc, why, None))
        views = _views(s, viewer.username, [x.doc.id for x in found])
        for item in found:
            item.seen = views.get(item.doc.id)
            item.changes = _changes(s, item.doc, item.seen, viewer)
    return sorted(found, key=lambda x: not x.changed)


def _views(s: Session, username: str, ids: list[str]) -> dict[str, ProcessView]:
    if not ids:
        return {}
    query = select(ProcessView).where(
        ProcessView.username == username, ProcessView.document_id.in_(ids)
    )
    return {v.document_id: v for v in s.scalars(query)}


def _changes(s: Session, doc: Document, seen: ProcessView | None, viewer: Viewer) -> list[Change]:
    """The revisions of `doc` after the one seen, up to the one `viewer` reads (readers: the
    published version), made by someone other than them."""
    shown = shown_revision(doc, viewer)
    if seen is None or seen.revision >= shown:
        return []
    query = (
        select(DocumentRevision)
        .where(
            DocumentRevision.document_id == doc.id,
            DocumentRevision.number > seen.revision,
            DocumentRevision.number <= shown,
            or_(DocumentRevision.author.is_(None), DocumentRevision.author != viewer.username),
        )
        .order_by(DocumentRevision.number.desc())
        .limit(CHANGES_SHOWN)
    )
    return [Change(r.number, r.author, r.message, r.created_at) for r in s.scalars(query)]


def last_view(
    db: Database, viewer: Viewer, doc: Document
) -> tuple[ProcessView | None, list[Change]]:
    """What `viewer` saw of `doc` when they last opened its page, and the revisions since."""
    if viewer.is_anonymous:
        return None, []
    with db.read() as s:
        seen = s.get(ProcessView, (viewer.username, doc.id))
        return seen, _changes(s, doc, seen, viewer)


def record_view(db: Database, viewer: Viewer, doc: Document, now: datetime | None = None) -> None:
    """Remember the revision of `doc` a signed-in person saw on its page (one row per person
    and model, written over). Private state: no event, no audit entry."""
    if viewer.is_anonymous or doc.type != "process":
        return
    values = {
        "username": viewer.username,
        "document_id": doc.id,
        "revision": shown_revision(doc, viewer),
        "model_version": doc.model_version,
        "seen_at": now or utcnow(),
    }
    with db.write(wake=False) as s:
        dialect = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
        statement = dialect.insert(ProcessView).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["username", "document_id"],
            set_={k: statement.excluded[k] for k in ("revision", "model_version", "seen_at")},
        )
        s.execute(statement)
