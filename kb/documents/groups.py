"""Groups as documents see them: the documents restricted to a group, the names documents use
that no group has been set up for, and renaming a group everywhere at once.

A group is a row with a stable id (kb.accounts.groups): members follow a rename by
themselves. Documents name their groups in their front matter — the Markdown is the source of
truth and is exported as written — so a rename rewrites each of them: a new revision whose
only change is the `groups:` line ("Group finance renamed to finance team"), its event (the
search index follows) and audit entry, all in the same transaction as the renamed row. Either
everything is renamed or nothing is.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb.accounts import groups as accounts_groups
from kb.accounts.services import list_groups
from kb.core.errors import Conflict, NotFound, ValidationError
from kb.db import Database
from kb.documents import services
from kb.documents.frontmatter_edit import replace_key
from kb.documents.models import Document, DocumentLabel, DocumentRevision
from kb.markdown import frontmatter


@dataclass(frozen=True)
class GroupSummary:
    id: int
    name: str
    description: str
    members: int
    documents: int


def _named(name: str):  # noqa: ANN202
    return select(DocumentLabel.document_id).where(
        DocumentLabel.kind == "group", DocumentLabel.value == name
    )


def document_counts(db: Database) -> dict[str, int]:
    """Documents per group name, as their front matter names them."""
    with db.read() as s:
        rows = s.execute(
            select(DocumentLabel.value, func.count())
            .where(DocumentLabel.kind == "group")
            .group_by(DocumentLabel.value)
        )
        return {name: count for name, count in rows}


def group_summaries(db: Database) -> tuple[list[GroupSummary], dict[str, int]]:
    """Every group with its counts of members and documents, and the names documents use
    that no group has (name -> documents): only their creators and curators read those."""
    members, documents = accounts_groups.member_counts(db), document_counts(db)
    groups = [
        GroupSummary(
            g.id, g.name, g.description or "", members.get(g.id, 0), documents.pop(g.name, 0)
        )
        for g in list_groups(db)
    ]
    return groups, documents


def documents_of(db: Database, name: str) -> list[Document]:
    with db.read() as s:
        return list(
            s.scalars(
                select(Document)
                .where(Document.id.in_(_named(name)))
                .order_by(Document.type, Document.id)
            )
        )


def renamed_source(source: str, old: str, new: str) -> str:
    """The Markdown with `old` replaced by `new` in its `groups:` (other names kept as
    written). The line is rewritten in place when it can be, else the front matter block."""
    meta, body = frontmatter.split(source)
    value = meta.get("groups") or []
    names = value.split(",") if isinstance(value, str) else [str(x) for x in value]
    result: list[str] = []
    for raw in names:
        name = new if " ".join(raw.split()).lower() == old else raw.strip()
        if name and name.lower() not in {x.lower() for x in result}:
            result.append(name)
    try:
        return replace_key(source, "groups", result)
    except ValueError:
        head = frontmatter.join({**meta, "groups": result}, "").removesuffix("\n")
        return ("\ufeff" if source.startswith("\ufeff") else "") + head + body


def _plan(db: Database, old: str, new: str) -> list[tuple[str, int, services.Prepared]]:
    """(id, version, the new revision) of each document naming `old`, prepared outside the
    write transaction (parsing and rendering never hold the write lock)."""
    with db.read() as s:
        rows = s.execute(
            select(Document.id, Document.version, Document.type, DocumentRevision.markdown)
            .join(
                DocumentRevision,
                (DocumentRevision.document_id == Document.id)
                & (DocumentRevision.number == Document.version),
            )
            .where(Document.id.in_(_named(old)))
            .order_by(Document.id)
        ).all()
    plan = []
    for doc_id, version, doc_type, markdown in rows:
        try:
            prepared = services.prepare(renamed_source(markdown, old, new), type_hint=doc_type)
        except ValidationError as exc:
            raise ValidationError(
                f"{doc_id} cannot be rewritten with the new name: {exc.message}", field="name"
            ) from None
        plan.append((doc_id, version, prepared))
    return plan


def _revise(s: Session, plan, old: str, new: str, actor: str) -> None:  # noqa: ANN001
    for doc_id, version, prepared in plan:
        doc = s.get(Document, doc_id, with_for_update=True)
        if doc is None or doc.version != version:
            raise Conflict(f"{doc_id} changed while the group was being renamed: try again.")
        services.revise_prepared(
            s, doc, prepared, actor=actor, message=f"Group {old} renamed to {new}"
        )
    missed = set(s.scalars(_named(old))) - {doc_id for doc_id, _, _ in plan}
    if missed:
        raise Conflict(f"{sorted(missed)[0]} was restricted to {old} meanwhile: try again.")


def rename_group(db: Database, group_id: int, new_name: str, *, actor: str) -> list[str]:
    """Rename a group for its members and in every document restricted to it, in one
    transaction; returns the ids of the documents rewritten."""
    new = accounts_groups.clean_name(new_name)
    group = accounts_groups.get_group(db, group_id)
    if group is None:
        raise NotFound(f"There is no group {group_id}.")
    old = group.name
    if new == old:
        return []
    plan = _plan(db, old, new)
    with db.write() as s:
        group = accounts_groups.group_for_update(s, group_id)
        if group.name != old:
            raise Conflict(f"The group was renamed to {group.name} meanwhile.")
        _revise(s, plan, old, new, actor)
        accounts_groups.rename_in(
            s, group, new, actor=actor, documents=[doc_id for doc_id, _, _ in plan]
        )
    return [doc_id for doc_id, _, _ in plan]


def delete_group(db: Database, group_id: int, *, actor: str, confirmed: bool) -> str:
    """kb.accounts.groups.delete_group, told how many documents name the group."""
    group = accounts_groups.get_group(db, group_id)
    if group is None:
        raise NotFound(f"There is no group {group_id}.")
    return accounts_groups.delete_group(
        db,
        group_id,
        actor=actor,
        confirmed=confirmed,
        documents=document_counts(db).get(group.name, 0),
    )
