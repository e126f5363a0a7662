"""A process model's page beyond its text: its steps (the diagram's text alternative), the
lessons it is linked to, the models of its project to compare it with; and two models side
by side (kb.processes.compare)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from kb.accounts.viewer import Viewer
from kb.db import Database
from kb.documents import access, services
from kb.documents.models import Document
from kb.markdown import frontmatter
from kb.processes import links
from kb.processes.compare import StepChanges, compare_flows
from kb.processes.steps import Flow, parse_steps
from kb.readmodels.process_governance import shown_revision


@dataclass
class ProcessParts:
    flow: Flow
    links: list[links.Link]
    #: the project's other models in another state (as-is <-> to-be), to compare with
    compare_with: list[Document]


@dataclass
class Comparison:
    old: Document
    new: Document
    old_flow: Flow
    new_flow: Flow
    changes: StepChanges


def flow_of(db: Database, doc: Document, viewer: Viewer) -> Flow:
    """The steps of the revision `viewer` reads (readers: the published version)."""
    revision = services.get_revision(db, doc.id, shown_revision(doc, viewer), viewer=viewer)
    return parse_steps(frontmatter.split(revision.markdown if revision else "")[1])


def counterparts(db: Database, doc: Document, viewer: Viewer) -> list[Document]:
    if not doc.project_key:
        return []
    with db.read() as s:
        query = select(Document).where(
            Document.type == "process",
            Document.project_key == doc.project_key,
            Document.id != doc.id,
            access.readable(viewer),
        )
        return [d for d in s.scalars(query.order_by(Document.id)) if d.state != doc.state]


def process_parts(db: Database, doc: Document, viewer: Viewer) -> ProcessParts:
    return ProcessParts(
        flow=flow_of(db, doc, viewer),
        links=links.links_of_model(db, doc, viewer),
        compare_with=counterparts(db, doc, viewer),
    )


def comparison(db: Database, old_id: str, new_id: str, viewer: Viewer) -> Comparison | None:
    """Two models the viewer may read, side by side; None when either is not one."""
    pair = [services.get_readable(db, i.strip().upper(), viewer) for i in (old_id, new_id)]
    if any(d is None or d.type != "process" for d in pair):
        return None
    old, new = pair
    old_flow, new_flow = flow_of(db, old, viewer), flow_of(db, new, viewer)
    return Comparison(old, new, old_flow, new_flow, compare_flows(old_flow, new_flow))
