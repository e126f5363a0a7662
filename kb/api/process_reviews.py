"""A process model's review cycle: POST /api/processes/<id>/reviewed ("reviewed, no change")
and GET /api/me/processes (the published models you are in, and what changed since you last
looked)."""

from __future__ import annotations

from flask import url_for

from kb.access_rules import USER, needs
from kb.api import bp
from kb.api.models.process_reviews import Change, LastLook, MyProcess, MyProcesses, Reviewed
from kb.api.processes import NO_MODEL
from kb.api.spec import contract
from kb.context import current
from kb.core.attributes import alike
from kb.core.time import utcnow
from kb.documents.models import Document
from kb.overdue.health import level_on, review_health
from kb.processes import involvement, review
from kb.processes.involvement import Involvement
from kb.security import viewer


@bp.post("/processes/<doc_id>/reviewed")
@contract(
    ok=(200, Reviewed),
    HTTP_404=NO_MODEL,
    HTTP_409="The model is retired",
)
@needs(USER)
def mark_process_reviewed(doc_id: str):
    """Record that a process model was reviewed and still holds ("reviewed, no change")

    For its owner, expert or custodian and curators. Its `last_reviewed` becomes today (UTC):
    a revision, `org.pmo.kb.processmodel.reviewed`, an audit entry; the PMO's open review task
    about it is marked done.
    """
    recorded = review.mark_reviewed(current().db, doc_id, viewer=viewer())
    done = recorded.review
    return Reviewed(
        **alike(done, "reviewed_by reviewed_on reviewed_at revision", id=done.document_id),
        next_review=recorded.next_review,
        health=level_on(recorded.next_review, utcnow().date()),
    )


def _mine(item: Involvement) -> MyProcess:
    doc: Document = item.doc
    health = review_health(doc, utcnow().date())
    seen = item.seen
    return MyProcess(
        **alike(doc, "id title model_version owner custodian"),
        **alike(item, "why changed"),
        health=health.level,
        next_review=health.due,
        last_look=LastLook.model_validate(seen) if seen is not None else None,
        changes=[Change.model_validate(c) for c in item.changes],
        page=url_for("web.document", folder="processes", doc_id=doc.id),
    )


@bp.get("/me/processes")
@contract(ok=(200, MyProcesses))
@needs(USER)
def my_processes():
    """The published process models you are in, those changed since you last looked first

    You are in a model when one of its roles (a swimlane of its steps, or a name in its
    `roles:` front matter) is your role or one of your groups, or when you are its owner or
    expert. Opening a model's page records what you saw.
    """
    return MyProcesses(
        processes=[_mine(x) for x in involvement.processes_of(current().db, viewer())]
    )
