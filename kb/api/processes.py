"""GET /api/processes/<id>/changes: what the process repository changed (process.changed)."""

from __future__ import annotations

from kb.access_rules import READER, needs
from kb.api import bp
from kb.api.models.processes import ProcessChange, ProcessChanges
from kb.api.spec import contract
from kb.context import current
from kb.core.errors import NotFound
from kb.documents import services as documents
from kb.processes import services as processes
from kb.security import viewer

#: the words of a 404 about a process model (here, in kb.api.bpmn and kb.api.process_reviews)
NO_MODEL = "No such process model (or not yours to read)"


@bp.get("/processes/<doc_id>/changes")
@contract(
    ok=(200, ProcessChanges),
    HTTP_404=f"{NO_MODEL} and no change recorded",
)
@needs(READER)
def list_process_changes(doc_id: str):
    """A process model's changes from the process repository, newest first

    `doc_id` is the processId, e.g. PM-0007 (any case).
    """
    db, who = current().db, viewer()
    process_id = doc_id.strip().upper()
    doc = documents.get_document(db, process_id)
    if doc is not None and doc.type != "process":
        doc = None
    if doc is not None and documents.get_readable(db, doc.id, who) is None:
        raise NotFound(f"There is no process model {process_id}.")
    changes = processes.list_changes(db, process_id)
    if doc is None and not changes:
        raise NotFound(f"kb has no process model {process_id} and no change recorded for it.")
    flagged = sorted({lesson for c in changes for lesson in c.flagged_lessons or []})
    readable = processes.readable_ids(db, flagged, who)
    title = doc.title if doc is not None else None
    return ProcessChanges(
        process_id=process_id,
        id=doc.id if doc is not None else None,
        title=title,
        changes=[ProcessChange.of(c, title, readable) for c in changes],
    )
