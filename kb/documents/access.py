"""Who may read and change a document — the one place these rules live.

A document is `internal` (every signed-in user; anonymous visitors too when KB_ANONYMOUS_READ
is on) or `restricted` to its groups; its creator and curators always see it. Someone who may
not read a document gets a 404, never a 403: ids reveal nothing. The same rule is written
three ways: for one document, as SQL for lists, and for the search index.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, true

from kb.accounts.viewer import Viewer
from kb.documents.models import Document, DocumentLabel
from kb.search import Reader


def can_read(viewer: Viewer, doc: Document) -> bool:
    if viewer.all_access:
        return True
    if doc.visibility != "restricted":
        return True  # internal; whether anonymous visitors get in at all is the routes' rule
    if viewer.is_anonymous:
        return False
    return doc.created_by == viewer.username or bool(
        viewer.groups & {label.value for label in doc.labels if label.kind == "group"}
    )


def can_edit(viewer: Viewer, doc: Document) -> bool:
    if not can_read(viewer, doc) or not viewer.has_role("contributor"):
        return False
    return viewer.has_role("curator") or doc.created_by == viewer.username


def can_change_draft(viewer: Viewer, doc: Document, *, named: bool) -> bool:
    """Who may complete (its sections), edit or withdraw a draft that a workflow holds — a
    review's lesson: those who may edit it anyway, and, while it is a draft, the people the
    workflow names for it (`named`: the review's facilitator and participants, decided by
    kb.reviews). Being named gives no right to read a restricted draft, nor to change its
    front matter through the editor, nor anything once the draft is submitted."""
    if can_edit(viewer, doc):
        return True
    if not named or doc.status != "draft" or viewer.is_anonymous or viewer.read_only:
        return False
    return can_read(viewer, doc)


def readable(viewer: Viewer) -> ColumnElement[bool]:
    """The same rule as a SQL condition on Document, for lists and counts."""
    if viewer.all_access:
        return true()
    internal = Document.visibility != "restricted"
    if viewer.is_anonymous:
        return internal
    in_group = (
        exists().where(
            DocumentLabel.document_id == Document.id,
            DocumentLabel.kind == "group",
            DocumentLabel.value.in_(sorted(viewer.groups)),
        )
        if viewer.groups
        else false()
    )
    return or_(
        internal,
        and_(
            Document.visibility == "restricted",
            or_(Document.created_by == viewer.username, in_group),
        ),
    )


def reader(viewer: Viewer) -> Reader:
    """The same rule for the search index."""
    return Reader(
        all_access=viewer.all_access, username=viewer.username, groups=frozenset(viewer.groups)
    )
