"""POST /api/lessons/<id>/transitions: move a lesson through its lifecycle (GET
/api/lessons/<id> lists the `transitions` the caller may make: kb.api.documents)."""

from __future__ import annotations

from kb.access_rules import CONTRIBUTOR, needs
from kb.api import bp
from kb.api.documents import full
from kb.api.models.documents import LessonDetail, Transition
from kb.api.spec import parsed_body, transition_contract
from kb.context import current
from kb.documents import lifecycle
from kb.security import viewer


@bp.post("/lessons/<doc_id>/transitions")
@transition_contract(
    LessonDetail,
    Transition,
    of="lesson",
    refused="Not a next status (details.allowed lists them) or a missing reason",
)
@needs(CONTRIBUTOR, what="change a lesson's status")  # per lesson too (kb.documents.lifecycle)
def lesson_transition(doc_id: str):
    """Move a lesson to another status (submit, review, publish, reject, …)

    Writes a new revision with the new `status:` in its front matter and emits
    `org.pmo.kb.lesson.<verb>`. Who may: see docs/events.md. A reason is required to reject,
    reopen and verify (the evidence); `merged_into` to merge. The answer lists the
    `transitions` that may come next.
    """
    body = parsed_body()
    doc = lifecycle.transition_lesson(
        current().db,
        doc_id,
        body.to,
        viewer=viewer(),
        reason=body.reason,
        merged_into=body.merged_into,
        base_version=body.version,
    )
    out = full(doc)
    out.transitions = lifecycle.allowed_transitions(viewer(), doc)
    return out
