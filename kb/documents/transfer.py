"""`kb import DIR` and `kb export DIR`: content trees <-> the database.

Import is idempotent: a file whose document already holds exactly its text changes nothing.
Files without an `id` get one, and are recognised on the next import by their path.
Files of another format (`*.bpmn`) are turned into Markdown first by the converter the caller
gives for their suffix (kb.processes.exchange.bpmn_source); what a conversion could not keep
is reported as notes, a file it refuses as rejected, and one without a converter is rejected.
A file that cannot be imported, for whatever reason, is reported as rejected and the others
are imported: nothing one file holds (or is) stops the import.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import NamedTuple

from sqlalchemy import exc as sql_errors
from sqlalchemy import select

from kb.core.errors import KbError
from kb.db import Database
from kb.documents import services
from kb.documents.batch import NewDocuments
from kb.documents.kinds import BY_FOLDER, BY_NAME
from kb.documents.models import Document, DocumentRevision
from kb.markdown import frontmatter
from kb.projects import services as projects
from kb.projects.models import Project
from kb.storage import files
from kb.storage.names import document_filename

log = logging.getLogger(__name__)
BATCH = 250
# The database itself failing is not the fault of one file: those end the import.
_NOT_A_FILE_FAULT = (sql_errors.OperationalError, sql_errors.InterfaceError)


#: a file's text -> the Markdown of its document and notes on what could not be kept
Converter = Callable[[str], tuple[str, list[str]]]


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    #: project keys created or updated from projects/*.md
    projects: list[str] = field(default_factory=list)
    #: project keys registered because documents named them (--create-projects)
    registered: list[str] = field(default_factory=list)
    #: (path, what its conversion could not keep)
    notes: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.rejected)} rejected"
        )
        if self.projects:
            text += f"; {len(self.projects)} projects created or updated"
        if self.registered:
            text += f"; projects registered: {', '.join(self.registered)}"
        return text

    def merge(self, other: ImportReport) -> None:
        for name in (
            "created",
            "updated",
            "unchanged",
            "rejected",
            "projects",
            "registered",
            "notes",
        ):
            getattr(self, name).extend(getattr(other, name))


#: folders of a content tree that hold no documents: projects here, paths in kb.paths.transfer
NOT_DOCUMENTS = ("projects", "paths")


def import_tree(
    db: Database,
    root: str | os.PathLike,
    *,
    actor: str,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
    create_projects: bool = False,
    converters: dict[str, Converter] | None = None,
    committed: Callable[[], None] | None = None,
) -> ImportReport:
    """Import every Markdown file under root. workers > 1 parses and renders in that many
    processes while this one writes to the database (for imports of thousands of files).
    A document naming a project the register does not hold (after projects/*.md) is
    rejected with the nearest ones; with `create_projects` the project is registered — by
    a document everyone may read: a restricted one would show its project to everyone.
    `converters`: file suffix -> how such files become Markdown (see the module's text).
    `committed` is called after each batch of documents commits (the search index follows)."""
    report = ImportReport()
    sources = [_converted(f, converters or {}, report) for f in files.read_tree(root)]
    tick = progress or (lambda n: None)
    after_batch = committed or (lambda: None)
    project_files = [f for f in sources if f.folder == "projects"]
    report.merge(_import_projects(db, project_files))
    tick(len(project_files))
    documents = [f for f in sources if f.folder not in NOT_DOCUMENTS]
    with _preparer(workers) as prepare_all:
        pending: list[tuple[files.SourceFile, services.Prepared]] = []
        seen: set[str] = set()
        write = partial(
            _write_each_alone_on_failure,
            db,
            actor=actor,
            seen=seen,
            create_projects=create_projects,
        )
        # map() keeps the order, so each outcome belongs to the source at the same place
        for source, (path, outcome) in zip(documents, prepare_all(documents), strict=True):
            if isinstance(outcome, str):
                report.rejected.append((path, outcome))
            else:
                pending.append((source, outcome))
            if len(pending) >= BATCH:
                report.merge(write(pending))
                after_batch()
                pending = []
            tick(1)
        if pending:
            report.merge(write(pending))
            after_batch()
    return report


def _converted(
    source: files.SourceFile, converters: dict[str, Converter], report: ImportReport
) -> files.SourceFile:
    """A Markdown file as it is; another one as the Markdown its converter makes of it."""
    if source.path.endswith(".md") or source.problem:
        return source
    suffix = "." + source.path.rsplit(".", 1)[-1]
    if suffix not in converters:
        return files.SourceFile(source.path, problem=f"kb imports no {suffix} files here")
    try:
        text, notes = converters[suffix](source.text)
    except KbError as exc:
        return files.SourceFile(source.path, problem=exc.message)
    report.notes += [(source.path, note) for note in notes]
    return files.SourceFile(source.path, text=text)


def _prepare_file(source: files.SourceFile) -> tuple[str, services.Prepared | str]:
    """(path, the prepared document or why it was rejected). Runs in worker processes too,
    where an escaping exception would end the whole import: hence the broad catch."""
    if source.problem:
        return source.path, source.problem
    try:
        return source.path, _prepare(source)
    except KbError as exc:
        return source.path, exc.message
    except Exception as exc:  # noqa: BLE001 (per-file boundary: report it, go on)
        return source.path, _unexpected(source.path, exc)


def _prepare(source: files.SourceFile) -> services.Prepared:
    # files from other tools often say neither `type` nor folder: lessons are the usual
    hint = BY_FOLDER[source.folder].name if source.folder in BY_FOLDER else "lesson"
    return services.prepare(source.text, type_hint=hint)


def _unexpected(path: str, exc: Exception) -> str:
    """The reason shown for a failure kb has no message for (e.g. a 5,000-digit number)."""
    log.info("%s could not be imported", path, exc_info=exc)
    detail = str(exc)
    detail = detail if len(detail) <= 200 else detail[:200] + "…"
    return f"cannot be imported ({type(exc).__name__}: {detail})"


def _write_each_alone_on_failure(
    db: Database,
    batch: list[tuple[files.SourceFile, services.Prepared]],
    *,
    actor: str,
    seen: set[str],
    create_projects: bool,
) -> ImportReport:
    """Write a batch in one transaction; if that fails, write each file in its own, so only
    the files at fault are rejected. Writing changes the prepared records (assigned ids),
    so a file is prepared again from its text before its own attempt."""
    try:
        pairs = [(source.path, prepared) for source, prepared in batch]
        return _write_batch(db, pairs, actor, seen, create_projects)
    except _NOT_A_FILE_FAULT:
        raise
    except Exception:  # noqa: BLE001 (the transaction rolled back; find the file at fault)
        log.info("a batch of %d files failed; writing them one by one", len(batch))
    report = ImportReport()
    for source, _ in batch:
        with _rejecting(report, source.path):
            pair = (source.path, _prepare(source))
            report.merge(_write_batch(db, [pair], actor, seen, create_projects))
    return report


@contextmanager
def _rejecting(report: ImportReport, path: str) -> Iterator[None]:
    """The per-file boundary of a write: whatever goes wrong becomes a rejected line."""
    try:
        yield
    except _NOT_A_FILE_FAULT:
        raise
    except KbError as exc:
        report.rejected.append((path, exc.message))
    except Exception as exc:  # noqa: BLE001 (per-file boundary: report it, go on)
        report.rejected.append((path, _unexpected(path, exc)))


@contextmanager
def _preparer(workers: int) -> Iterator[Callable]:
    if workers <= 1:
        yield lambda sources: map(_prepare_file, sources)
        return
    # spawn, not fork: a fresh interpreter shares no locks with this process's threads
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield lambda sources: pool.map(_prepare_file, sources, chunksize=50)


def _import_projects(db: Database, sources: list[files.SourceFile]) -> ImportReport:
    report = ImportReport()
    for source in sources:
        if source.problem:
            report.rejected.append((source.path, source.problem))
            continue
        # one transaction each (projects are few): a project the database refuses stops
        # no other
        with _rejecting(report, source.path):
            fields = projects.parse_project(source.text)
            with db.write() as s:
                if projects.upsert_project(s, fields) != "unchanged":
                    report.projects.append(fields["key"])
    return report


def _project_refused(
    s, record, create_projects: bool, report: ImportReport, made: NewDocuments
) -> str | None:  # noqa: ANN001
    """Why the project the record names keeps it out (None: registered, or now registered)."""
    try:
        record.project_key = projects.resolve_project(s, record.project_key, record.project_name)
        return None
    except projects.UnknownProject as exc:
        if not create_projects:
            return exc.message
        if record.columns.get("visibility") == "restricted":
            return (
                f"{exc.message} (a restricted document does not register its project, "
                "which everyone could then see: register it on the projects page)"
            )
    made.write()  # its event after those of the documents before it
    projects.ensure_project(s, record.project_key, record.project_name)
    report.registered.append(record.project_key)
    return None


class _Made(NamedTuple):
    id: str
    type: str


def _write_batch(
    db: Database,
    batch: list[tuple[str, services.Prepared]],
    actor: str,
    seen: set[str],
    create_projects: bool = False,
) -> ImportReport:
    """`seen`: the documents earlier batches of this import wrote or found unchanged; a file
    naming one of them again is rejected, whichever batch it falls in."""
    report = ImportReport()
    # New documents' rows are inserted together (kb.documents.batch); `written` stands in
    # for the identity map, which holds neither them nor objects not flushed yet.
    written: dict[str, Document | _Made] = {}
    claimed: set[str] = set()
    with db.write() as s, s.no_autoflush:
        made = NewDocuments(s, actor=actor)
        by_id, by_origin = _stored(s, batch)
        for path, prepared in batch:
            record = prepared.record
            if record.project_key and (
                why := _project_refused(s, record, create_projects, report, made)
            ):
                report.rejected.append((path, why))
                continue
            if record.id:
                doc = written.get(record.id) or by_id.get(record.id)
            else:
                doc = by_origin.get(path)
            if doc is None:
                origin = None if record.id else path
                doc_id = made.create(prepared, message=f"Imported from {path}", origin=origin)
                written[doc_id] = _Made(doc_id, record.type)
                claimed.add(doc_id)
                report.created.append(doc_id)
                continue
            if doc.type != record.type:
                report.rejected.append(
                    (path, f"{doc.id} is a {doc.type}, this file a {record.type}")
                )
                continue
            if doc.id in claimed or doc.id in seen:
                report.rejected.append((path, f"another file in this import is also {doc.id}"))
                continue
            if record.id is None:
                record.markdown = frontmatter.set_key(
                    record.markdown, "id", doc.id, meta=record.meta
                )
                record.id = doc.id
            claimed.add(doc.id)
            if doc.current_revision.markdown == record.markdown:
                report.unchanged.append(doc.id)
            else:
                made.write()  # its event after those of the documents before it
                services.revise_prepared(
                    s, doc, prepared, actor=actor, message=f"Imported from {path}", imported=True
                )
                written[doc.id] = doc
                report.updated.append(doc.id)
        made.write()
    seen |= claimed  # committed
    return report


def _stored(
    s,
    batch: list[tuple[str, services.Prepared]],  # noqa: ANN001
) -> tuple[dict[str, Document], dict[str, Document]]:
    """The documents a batch's files name: by id, and by path for files without an id (the
    documents they made before). Two queries per batch instead of one per file."""
    ids = [prepared.record.id for _, prepared in batch if prepared.record.id]
    paths = [path for path, prepared in batch if not prepared.record.id]
    by_id = {d.id: d for d in s.scalars(select(Document).where(Document.id.in_(ids)))}
    by_origin = {d.origin: d for d in s.scalars(select(Document).where(Document.origin.in_(paths)))}
    return by_id, by_origin


@dataclass
class ExportReport:
    documents: int = 0
    projects: int = 0


def export_tree(
    db: Database, root: str | os.PathLike, progress: Callable[[int], None] | None = None
) -> ExportReport:
    """Write every document's current Markdown, byte for byte, and every project."""
    report = ExportReport()
    tick = progress or (lambda n: None)
    with db.read() as s:
        for project in s.scalars(select(Project).order_by(Project.key)):
            files.write_file(root, f"projects/{project.key}.md", projects.project_source(project))
            report.projects += 1
        rows = s.execute(
            select(Document.id, Document.type, Document.title, DocumentRevision.markdown)
            .join(Document.current_revision)
            .order_by(Document.id)
            .execution_options(yield_per=500)
        )
        for doc_id, doc_type, title, markdown in rows:
            folder = BY_NAME[doc_type].folder
            name = document_filename(doc_id, title)
            files.write_file(root, f"{folder}/{name}", markdown)
            files.remove_stale(root, folder, doc_id, keep=name)
            report.documents += 1
            tick(1)
    return report
