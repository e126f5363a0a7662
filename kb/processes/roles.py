"""Who a process model names (docs/format.md): `owner` (accountable), `expert` (maintains it,
one name or a list), `custodian` (the PMO after closure) and `approvers` (kb usernames or
group names; without any, the owner alone approves); and which revision each person reads:
readers the published version, those who work on the model its draft."""

from __future__ import annotations

from kb.accounts.viewer import Viewer
from kb.documents import access
from kb.documents.models import Document


def experts_of(doc: Document) -> list[str]:
    """The `expert:` front matter (one name or a list)."""
    value = (doc.extra or {}).get("expert")
    items = value if isinstance(value, list) else [value]
    return [str(x).strip() for x in items if x is not None and str(x).strip()]


def roles(doc: Document) -> dict[str, str | None]:
    expert = ", ".join(experts_of(doc)) or None
    return {"owner": doc.owner, "expert": expert, "custodian": doc.custodian}


def named(viewer: Viewer, doc: Document) -> bool:
    """Whether the front matter names `viewer` (by username) as the owner or an expert."""
    return any(is_named(viewer, name) for name in (doc.owner, *experts_of(doc)))


def approvers_of(doc: Document) -> list[str]:
    """The `approvers:` entries; without any, the owner (when the owner is named)."""
    named = [str(x) for x in (doc.extra or {}).get("approvers") or []]
    if named:
        return named
    return [doc.owner.strip().lower()] if doc.owner else []


def answers_for(viewer: Viewer, doc: Document) -> list[str]:
    """The entries `viewer` approves for: their username and their groups."""
    if viewer.is_anonymous or viewer.read_only:
        return []
    mine = {viewer.username, *viewer.groups}
    return [name for name in approvers_of(doc) if name in mine]


def is_named(viewer: Viewer, name: str | None) -> bool:
    return bool(name) and viewer.username is not None and viewer.username == name.strip().lower()


def takes_part(viewer: Viewer, doc: Document) -> bool:
    """Whether `viewer` works on the model (sees its draft rather than the published version):
    its editors, owner, expert and approvers."""
    if not access.can_read(viewer, doc) or viewer.is_anonymous:
        return False
    return access.can_edit(viewer, doc) or named(viewer, doc) or bool(answers_for(viewer, doc))


def shown_revision(doc: Document, viewer: Viewer) -> int:
    """The revision of `doc` that `viewer` reads: a process model's published one while its
    next version is drafted and reviewed, unless they work on it; otherwise the current."""
    pointer = doc.published_revision
    if doc.type != "process" or pointer is None or pointer == doc.version:
        return doc.version
    return doc.version if takes_part(viewer, doc) else pointer
