"""BPMN in and out of a stored process model (docs/format.md, "Steps as a flow").

Export reads the model's current Markdown as its viewer may read it. Import reads a modeller's
file (kb.processes.bpmn_import, hardened against hostile XML) and either creates a process
model (a draft with the file's roles and steps, and what kb's own export carries: the other
sections, owner, state, labels) or, given a model, replaces that model's
`## Steps` section and `roles:` in a new revision, every other section kept. The report says
what kb could not represent, and what of the result breaks the convention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.accounts.viewer import Viewer
from kb.core.errors import Forbidden, NotFound, ValidationError
from kb.db import Database
from kb.documents import access
from kb.documents import services as documents
from kb.documents.models import Document
from kb.markdown import frontmatter
from kb.processes.bpmn import export
from kb.processes.bpmn_import import Imported, read_bpmn
from kb.processes.steps import parse_steps

_STEPS = re.compile(r"^##\s+Steps\s*#*\s*$", re.I | re.M)
_NEXT_H2 = re.compile(r"^##\s", re.M)
TITLE_MAX = 200


@dataclass
class BpmnImport:
    doc: Document
    created: bool
    #: how many steps kb read from the file
    steps: int
    #: what kb could not represent, and what of the result breaks the convention
    report: list[str]


def _model(db: Database, doc_id: str, viewer: Viewer) -> Document:
    doc = documents.get_readable(db, (doc_id or "").strip().upper(), viewer)
    if doc is None or doc.type != "process":
        raise NotFound(f"There is no process model {doc_id}.")
    return doc


def export_model(db: Database, doc_id: str, *, viewer: Viewer) -> tuple[Document, bytes]:
    """The model and its steps as BPMN 2.0 XML with diagram interchange."""
    doc = _model(db, doc_id, viewer)
    revision = documents.get_revision(db, doc.id, viewer=viewer)
    meta, body = frontmatter.split(revision.markdown if revision else "")
    xml = export(
        parse_steps(body),
        model_id=doc.id,
        title=doc.title,
        meta=meta,
        sections=with_steps(body, "## Steps\n"),
    )
    return doc, xml


def with_steps(body: str, steps: str) -> str:
    """`body` with its `## Steps` section replaced by `steps` (appended when it has none)."""
    found = _STEPS.search(body)
    if found is None:
        return body.rstrip() + ("\n\n" if body.strip() else "") + steps
    end = _NEXT_H2.search(body, found.end())
    rest = body[end.start() :] if end else ""
    return body[: found.start()] + steps.rstrip() + "\n" + ("\n" + rest if rest else "")


def _title(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)[:TITLE_MAX].strip() or "Imported process"


def new_source(imported: Imported) -> str:
    """A new draft process model's Markdown from an imported file."""
    meta = {
        "type": "process",
        "title": _title(imported.title),
        "status": "draft",
        **imported.meta,
        "roles": imported.roles,
    }
    return frontmatter.join(meta, imported.document())


def bpmn_source(text: str) -> tuple[str, list[str]]:
    """`kb import` of a `*.bpmn` file: its process model's Markdown and what kb could not
    represent (kb.documents.transfer converters); hostile or wrong files raise the error
    that becomes the file's rejected line."""
    imported = read_bpmn(text.encode("utf-8"))
    return new_source(imported), imported.report + parse_steps(imported.body).problems


def _create(db: Database, imported: Imported, viewer: Viewer, report: list[str]) -> Document:
    """The new draft; a project this kb's register does not hold (kb's export from elsewhere)
    is left out, and the report says so."""
    try:
        return documents.create_document(
            db,
            new_source(imported),
            actor=viewer.actor,
            require_type="process",
            created_by=viewer.username,
            message="Imported from a BPMN file",
        )
    except ValidationError as error:
        if error.code != "unknown_project" or "project" not in imported.meta:
            raise
        report.append(f"{error.message} The model names no project.")
        del imported.meta["project"]
        return _create(db, imported, viewer, report)


def import_model(
    db: Database, data: bytes, *, viewer: Viewer, into: str | None = None
) -> BpmnImport:
    """Create a process model from a BPMN file, or (`into`) replace an existing model's steps
    and roles. Contributors may create; changing a model needs the right to edit it."""
    if viewer.read_only or not viewer.has_role("contributor"):
        raise Forbidden("Only contributors and curators can import process models.")
    target = _model(db, into, viewer) if into else None
    if target is not None and not access.can_edit(viewer, target):
        raise Forbidden(f"You may read {target.id} but not change it: ask its owner or a curator.")
    imported = read_bpmn(data)
    flow = parse_steps(imported.body)
    report = list(imported.report) + flow.problems
    if target is None:
        return BpmnImport(_create(db, imported, viewer, report), True, len(flow.steps), report)
    revision = documents.get_revision(db, target.id)
    meta, body = frontmatter.split(revision.markdown)
    source = frontmatter.join({**meta, "roles": imported.roles}, with_steps(body, imported.body))
    doc = documents.update_document(
        db,
        target.id,
        source,
        base_version=target.version,
        actor=viewer.actor,
        message="Steps imported from a BPMN file",
    )
    return BpmnImport(doc, False, len(flow.steps), report)
