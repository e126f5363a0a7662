"""Text taken from one document and written into another record — a revision of another
lesson, an event, a notification — may only be read where that document may be read.

The rule: what names document A (its id, title or project, or text written about it) is shown
only to people who may read A. Whoever may read the record but not A reads that it is about
"a lesson you may not read". So a record never freezes A's name for its own audience; it keeps
A's id in a structured field (`DocumentRevision.refers_to`, an event's `refers_to`) next to
the words everyone may read, and the name is put back at read time for those who may read A.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from kb.accounts.models import User
from kb.accounts.viewer import Viewer
from kb.db import Database
from kb.documents import access
from kb.documents.kinds import BY_FOLDER
from kb.documents.models import Document, DocumentRevision

HIDDEN = "a lesson you may not read"
#: event data fields that name the document in `refers_to` (older events: `merged_into`,
#: `recurred_in`); emptied for whoever may not read it
NAMING_FIELDS = (
    "refers_to",
    "merged_into",
    "recurred_in",
    "recurred_in_title",
    "recurred_in_project",
)
#: event data fields listing lessons (ids, or objects with an `id`): kept to the readable ones
LIST_FIELDS = ("lessons", "flagged_lessons")


def every_reader_may_read(s: Session, doc: Document, other: Document) -> bool:
    """Whether everyone who may read `doc` now may read `other` too (curators read both)."""
    if other.visibility != "restricted":
        return True
    if doc.visibility != "restricted" or not set(doc.groups) <= set(other.groups):
        return False
    if doc.created_by is None or doc.created_by == other.created_by:
        return True
    creator = s.scalar(select(User).where(User.username == doc.created_by))
    return creator is not None and access.can_read(Viewer.of(creator), other)


def readable_ids(s: Session, viewer: Viewer, ids: Iterable[object]) -> set[str]:
    """Those of `ids` naming a document `viewer` may read."""
    wanted = sorted({x for x in ids if isinstance(x, str) and x})
    if not wanted:
        return set()
    query = select(Document.id).where(Document.id.in_(wanted), access.readable(viewer))
    return set(s.scalars(query))


def show_messages(s: Session, revisions: list[DocumentRevision], viewer: Viewer) -> None:
    """Give each revision the change note `viewer` may read: the one naming its `refers_to`
    when they may read that document, the stored `message` otherwise. Set as loaded values,
    never written back."""
    named = [r for r in revisions if r.refers_to and r.named_message]
    readable = readable_ids(s, viewer, (r.refers_to for r in named))
    for revision in named:
        if revision.refers_to in readable:
            set_committed_value(revision, "message", revision.named_message)


def merge_target(s: Session, doc: Document) -> str | None:
    """The id of the lesson a merged lesson was merged into (None when it is not merged)."""
    if doc.status != "merged":
        return None
    target = s.scalar(
        select(DocumentRevision.refers_to)
        .where(DocumentRevision.document_id == doc.id, DocumentRevision.refers_to.is_not(None))
        .order_by(DocumentRevision.number.desc())
        .limit(1)
    )
    found = target or (doc.extra or {}).get("merged_into")
    return found if isinstance(found, str) and found else None


@dataclass(frozen=True)
class MergedInto:
    """Where a merged lesson went, as one viewer may know it."""

    id: str | None  # None: into a lesson this viewer may not read

    @property
    def note(self) -> str:
        return f"Merged into {self.id or HIDDEN}"


def merged_into(db: Database, doc: Document, viewer: Viewer) -> MergedInto | None:
    """None for a lesson that is not merged."""
    if doc.status != "merged":
        return None
    with db.read() as s:
        target_id = merge_target(s, doc)
        if target_id is None:
            return None
        target = s.get(Document, target_id)
        return MergedInto(target_id if target and access.can_read(viewer, target) else None)


def visible_extra(doc: Document, merged: MergedInto | None) -> dict:
    """The front matter keys kb does not model, with `merged_into` as the viewer may read it."""
    extra = dict(doc.extra or {})
    if merged is not None:
        extra.pop("merged_into", None)
        if merged.id:
            extra["merged_into"] = merged.id
    return extra


# --- events --------------------------------------------------------------------------------


def subject_document(s: Session, subject: str | None) -> Document | None:
    """The document an event is about: its subject is a kind's folder and the document's id."""
    folder, _, doc_id = (subject or "").partition("/")
    return s.get(Document, doc_id) if folder in BY_FOLDER and doc_id else None


def _referenced(data: dict) -> str | None:
    for key in ("refers_to", "merged_into", "recurred_in"):
        if isinstance(data.get(key), str) and data[key]:
            return data[key]
    return None


def _item_id(item: object) -> object:
    return item.get("id") if isinstance(item, dict) else item


def event_view(s: Session, subject: str | None, data: object, viewer: Viewer) -> dict | None:
    """What `viewer` may read of one of kb's events: None when it is about a document they
    may not read; otherwise its data with every other document they may not read taken out
    (the fields naming it emptied, its reason replaced by `public_reason`, lists shortened)."""
    about = subject_document(s, subject)
    if about is not None and not access.can_read(viewer, about):
        return None
    data = dict(data) if isinstance(data, dict) else {}
    lists = {k: data[k] for k in LIST_FIELDS if isinstance(data.get(k), list)}
    ref = _referenced(data)
    wanted = [ref, *(_item_id(x) for items in lists.values() for x in items)]
    readable = readable_ids(s, viewer, wanted) if not viewer.all_access else None

    def may(doc_id: object) -> bool:
        return readable is None or doc_id in readable

    if ref is not None and not may(ref):
        for key in NAMING_FIELDS:
            if key in data:
                data[key] = None
        if "reason" in data:
            data["reason"] = data.get("public_reason")
    for key, items in lists.items():
        data[key] = [x for x in items if may(_item_id(x))]
    return data
