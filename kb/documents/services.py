"""Operations on documents. Every change writes a revision and appends its event in one
transaction. Parsing and rendering happen before the transaction opens, so a slow or bad
document never holds the database's write lock."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from kb.accounts.models import AuditEntry
from kb.accounts.services import audit_values
from kb.core.attributes import alike
from kb.core.errors import Conflict, NotFound, ValidationError
from kb.core.time import utcnow
from kb.db import Database
from kb.documents.frontmatter_edit import with_front_matter

# the id counters live in ids.py; re-exported so callers have one entry point
from kb.documents.ids import (  # noqa: F401
    _reserve_id,
    bump_counter,
    next_id,
    reserve_counter,
)
from kb.documents.kinds import BY_NAME
from kb.documents.models import Document, DocumentLabel, DocumentRevision

# the read side lives in queries.py; re-exported so callers have one entry point
from kb.documents.queries import (  # noqa: E402, F401
    LIST_FILTERS,
    Page,
    ProjectSummary,
    count_documents,
    get_document,
    get_readable,
    get_readable_page,
    get_revision,
    label_values,
    list_documents,
    list_revisions,
    project_summaries,
)
from kb.documents.records import Record, parse_record
from kb.events import kinds
from kb.events.log.services import append_event
from kb.markdown import Rendered, frontmatter, render
from kb.projects import services as projects

log = logging.getLogger(__name__)

#: kb's own changes (drafts from audits, revalidation flags, reopenings) are not a person's
KB_ACTOR = "kb"


@dataclass
class Prepared:
    """A validated, rendered document ready to be written."""

    record: Record
    rendered: Rendered


def prepare(source: str, *, type_hint: str | None = None) -> Prepared:
    record = parse_record(source, type_hint=type_hint)
    rendered = render(record.body, drop_title=record.columns["title"])
    return Prepared(record, rendered)


def preview(source: str, *, type_hint: str | None = None) -> Prepared:
    """Validate and render without saving (the edit form's preview)."""
    return prepare(source, type_hint=type_hint)


# --- writing -----------------------------------------------------------------------------


def create_document(
    db: Database,
    source: str,
    *,
    actor: str,
    type_hint: str | None = None,
    require_type: str | None = None,
    message: str = "",
    created_by: str | None = None,
) -> Document:
    """Save a new document. `type_hint` applies when the front matter has no `type`;
    `require_type` refuses (before writing) a document of any other type."""
    prepared = prepare(source, type_hint=type_hint)
    if require_type and prepared.record.type != require_type:
        raise ValidationError(
            f"This is a {prepared.record.type}, not a {require_type}; send it to its own collection.",
            field="type",
        )
    with db.write() as s:
        if prepared.record.id and s.get(Document, prepared.record.id) is not None:
            raise Conflict(f"{prepared.record.id} already exists; edit it instead.", field="id")
        doc = insert_prepared(s, prepared, actor=actor, message=message or "Created")
        doc.created_by = created_by
        doc_id = doc.id
    return get_document(db, doc_id)


def update_document(
    db: Database, doc_id: str, source: str, *, base_version: int, actor: str, message: str = ""
) -> Document:
    """Save a new revision. `base_version` is the version the editor started from: if someone
    saved in between, the save is refused (409) instead of silently overwriting their change."""
    with db.read() as s:
        current = s.get(Document, doc_id)
    if current is None:
        raise NotFound(f"There is no document {doc_id}.")
    prepared = prepare(source, type_hint=current.type)
    record = prepared.record
    if record.type != current.type:
        raise ValidationError(
            f"{doc_id} is a {current.type}; its type cannot change.", field="type"
        )
    if record.id is not None and record.id != doc_id:
        raise ValidationError(
            f"The front matter says id {record.id}, but this is {doc_id}.", field="id"
        )
    prepared = governed(current, prepared)
    with db.write() as s:
        # FOR UPDATE: on PostgreSQL (READ COMMITTED) two saves must not both see the old
        # version; SQLite's BEGIN IMMEDIATE already serialises writers.
        doc = s.get(Document, doc_id, with_for_update=True)
        if doc.version != base_version:
            raise Conflict(
                f"{doc_id} was changed by someone else (now version {doc.version}, you edited "
                f"version {base_version}). Compare the versions, then apply your change again.",
                field="version",
                details={"current_version": doc.version, "your_version": base_version},
            )
        if doc.status != current.status:  # a step of its lifecycle came in between
            prepared = governed(doc, prepared)
        keep_published(doc)
        revise_prepared(s, doc, prepared, actor=actor, message=message or "Edited", verb="updated")
    return get_document(db, doc_id)


def restore_revision(
    db: Database, doc_id: str, number: int, *, base_version: int, actor: str
) -> Document:
    """Make an old revision current again, as a new revision: history is never rewritten."""
    current = get_document(db, doc_id)
    old = get_revision(db, doc_id, number) if current else None
    if old is None:
        raise NotFound(f"{doc_id} has no revision {number}.")
    prepared = governed(current, prepare(old.markdown, type_hint=current.type))
    with db.write() as s:
        # FOR UPDATE: on PostgreSQL (READ COMMITTED) two saves must not both see the old
        # version; SQLite's BEGIN IMMEDIATE already serialises writers.
        doc = s.get(Document, doc_id, with_for_update=True)
        if doc.version != base_version:
            raise Conflict(f"{doc_id} changed since you opened it (now version {doc.version}).")
        keep_published(doc)
        revise_prepared(
            s, doc, prepared, actor=actor, message=f"Restored revision {number}", verb="restored"
        )
    return get_document(db, doc_id)


def governed(doc: Document, prepared: Prepared) -> Prepared:
    """A save of a kind whose status follows its steps (a process model) keeps the status
    it has — a typed `status:` changes nothing — except that one under review, approved or
    published becomes a draft again: the next version, reviewed anew (kb.processes)."""
    kind = BY_NAME[doc.type]
    if not kind.drafted_on_edit:
        return prepared
    status = "draft" if doc.status in kind.drafted_on_edit else doc.status
    if prepared.record.columns["status"] == status:
        return prepared
    source = with_front_matter(prepared.record.markdown, "status", status)
    return prepare(source, type_hint=doc.type)


def keep_published(doc: Document) -> None:
    """Before a save drafts the next version of a published document, point at the revision
    readers keep seeing (one published before kb kept versions has no pointer yet)."""
    governed_kind = bool(BY_NAME[doc.type].drafted_on_edit)
    if governed_kind and doc.status == "published" and doc.published_revision is None:
        doc.published_revision = doc.version


def insert_prepared(
    s: Session, prepared: Prepared, *, actor: str, message: str, imported: bool = False
) -> Document:
    record = prepared.record
    doc_id = assign_id(s, record)
    now = utcnow()
    doc = Document(id=doc_id, type=record.type, version=1, created_at=now, changed_at=now)
    s.add(doc)
    _apply(s, doc, record, now, actor=actor, imported=imported)
    _add_revision(s, doc, prepared, actor=actor, message=message, now=now)
    _event(s, doc, "created", actor)
    return doc


def assign_id(s: Session, record: Record, *, reserve=None) -> str:  # noqa: ANN001
    """The id of a new document: its own, its counter moved past it by `reserve` (s, id)
    (kb never hands it out again), or the next free one, written into its front matter."""
    if record.id is None:
        doc_id = next_id(s, record)
        record.markdown = frontmatter.set_key(record.markdown, "id", doc_id, meta=record.meta)
        record.id = doc_id
    else:
        (reserve or _reserve_id)(s, record.id)
    return record.id


def add_revision(
    s: Session,
    doc: Document,
    prepared: Prepared,
    *,
    actor: str,
    message: str,
    refers_to: str | None = None,
    named_message: str | None = None,
    imported: bool = False,
) -> DocumentRevision:
    """Make `prepared` the next revision of `doc` (loaded in `s`; lock it first when racing
    matters): its columns and labels follow the record. No event and no audit entry: the
    caller writes its own (revise_prepared() writes `<entity>.<verb>`).

    A note naming another document keeps that document's id in `refers_to` and the naming
    note in `named_message`; `message` is what every reader reads (kb.documents.references).
    `doc.changed_at` follows a person's change (not `KB_ACTOR`'s); `imported` takes the
    file's own `updated:` day instead."""
    record = prepared.record
    if record.id is None:
        record.markdown = frontmatter.set_key(record.markdown, "id", doc.id, meta=record.meta)
        record.id = doc.id
    now = utcnow()
    doc.version += 1
    _apply(s, doc, record, now, actor=actor, imported=imported)
    if doc.published_revision is not None and doc.status in ("published", "retired"):
        # what readers see moves along: kb's own change of a published model (custody, the
        # process repository's version) or a file imported as published
        doc.published_revision = doc.version
    return _add_revision(
        s,
        doc,
        prepared,
        actor=actor,
        message=message,
        now=now,
        refers_to=refers_to,
        named_message=named_message,
    )


def revise_prepared(
    s: Session,
    doc: Document,
    prepared: Prepared,
    *,
    actor: str,
    message: str,
    verb: str = "updated",
    imported: bool = False,
) -> None:
    add_revision(s, doc, prepared, actor=actor, message=message, imported=imported)
    _event(s, doc, verb, actor)


def change_front_matter(
    s: Session, doc: Document, changes: dict[str, str], *, actor: str, message: str
) -> bool:
    """Set front matter keys of `doc` (loaded in `s`) in a new revision by `actor`, every
    other byte kept where possible (`<entity>.updated`, an audit entry). False when nothing
    changes. A value the document's rules refuse raises the domain error before writing."""
    source = doc.current_revision.markdown
    new = source
    for key, value in changes.items():
        new = with_front_matter(new, key, value)
    if new == source:
        return False
    revise_prepared(s, doc, prepare(new, type_hint=doc.type), actor=actor, message=message)
    return True


def _apply(
    s: Session, doc: Document, record: Record, now, *, actor: str, imported: bool = False
) -> None:
    with s.no_autoflush:  # not `doc` before its columns are set (the project's look-up)
        values = document_values(s, record, now, actor=actor, imported=imported)
    for key, value in values.items():
        setattr(doc, key, value)
    wanted = label_keys(record)
    have = {(label.kind, label.value): label for label in doc.labels}
    for key in set(have) - wanted:
        doc.labels.remove(have[key])
    for kind, value in sorted(wanted - set(have)):
        doc.labels.append(DocumentLabel(kind=kind, value=value))


def document_values(s: Session, record: Record, now, *, actor: str, imported: bool = False) -> dict:
    """The columns a save sets from the record (changed_at only when it changes)."""
    values = dict(record.columns, extra=record.extra, updated_at=now)
    if imported:  # the file's own day, or none (the pages then say "Imported")
        day = record.updated_on
        values["changed_at"] = datetime.combine(day, time(), tzinfo=UTC) if day else None
    elif actor != KB_ACTOR:
        values["changed_at"] = now
    values["project_key"] = (
        projects.resolve_project(s, record.project_key, record.project_name)
        if record.project_key
        else None
    )
    return values


def label_keys(record: Record) -> set[tuple[str, str]]:
    """(kind, value) of the labels the record gives its document."""
    return (
        {("topic", t) for t in record.topics}
        | {("tag", t) for t in record.tags}
        | {("group", g) for g in record.groups}
    )


def _add_revision(
    s: Session,
    doc: Document,
    prepared: Prepared,
    *,
    actor,
    message,
    now,
    refers_to: str | None = None,
    named_message: str | None = None,
) -> DocumentRevision:
    revision = DocumentRevision(
        **revision_values(
            doc.id,
            doc.version,
            prepared,
            actor=actor,
            message=message,
            now=now,
            refers_to=refers_to,
            named_message=named_message,
        )
    )
    s.add(revision)
    # the relationship is view-only: it would show the previous revision until reloaded
    set_committed_value(doc, "current_revision", revision)
    return revision


def revision_values(
    doc_id: str,
    number: int,
    prepared: Prepared,
    *,
    actor: str,
    message: str,
    now: datetime,
    refers_to: str | None = None,
    named_message: str | None = None,
) -> dict:
    """The columns of revision `number` of document `doc_id`: add_revision() saves them as an
    object, an import batch inserts many at once (kb/documents/batch.py)."""
    return {
        "document_id": doc_id,
        "number": number,
        "markdown": prepared.record.markdown,
        "html": prepared.rendered.html,
        "text": prepared.rendered.text,
        "author": actor,
        "message": message[:300],
        "refers_to": refers_to,
        "named_message": named_message[:300] if named_message else None,
        "created_at": now,
    }


def _event(s: Session, doc: Document, verb: str, actor: str) -> None:
    entry, event = saved(doc, verb, actor)
    s.add(AuditEntry(**entry))
    append_event(s, event)


def saved(doc, verb: str, actor: str) -> tuple[dict, kinds.KbEvent]:  # noqa: ANN001
    """The audit entry (its columns) and the event of `<entity>.<verb>` for `doc` (a
    Document, or anything with its attributes)."""
    kind = BY_NAME[doc.type]
    entry = audit_values(actor, f"{kind.event_entity}.{verb}", doc.id, version=doc.version)
    event = kinds.of_type(f"{kind.event_entity}.{verb}")
    fields = alike(doc, "id type title version status", project=doc.project_key, actor=actor)
    return entry, event(**fields)
