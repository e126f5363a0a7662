"""A process model's governance: its versions, a comparison of two, and its steps
(submit, approve, request changes, publish, retire) — kb.processes.governance."""

from __future__ import annotations

from kb.access_rules import READER, needs
from kb.api import bp
from kb.api.models.processes import (
    ChangedStep,
    ProcessApprover,
    ProcessComparison,
    ProcessGovernance,
    ProcessStep,
    ProcessVersion,
    StepFieldChange,
    StepRef,
    StepsDiff,
)
from kb.api.spec import contract, parsed_body, transition_contract
from kb.context import current
from kb.core.errors import NotFound
from kb.documents import services as documents
from kb.documents.models import Document
from kb.processes import governance, roles, versions
from kb.readmodels.process_governance import process_detail
from kb.security import viewer


def _model(doc_id: str) -> Document:
    doc = documents.get_readable(current().db, doc_id.strip().upper(), viewer())
    if doc is None or doc.type != "process":
        raise NotFound(f"There is no process model {doc_id}.")
    return doc


def _governance(doc: Document) -> ProcessGovernance:
    detail = process_detail(current().db, doc, viewer())
    return ProcessGovernance(
        id=doc.id,
        title=doc.title,
        status=doc.status,
        version=doc.version,
        published_revision=doc.published_revision,
        owner=detail.roles["owner"],
        expert=detail.roles["expert"],
        custodian=detail.roles["custodian"],
        approvers=[ProcessApprover.model_validate(a) for a in detail.approvers],
        steps=[step.name for step in detail.steps],
        versions=[ProcessVersion.model_validate(v) for v in detail.versions],
    )


@bp.get("/processes/<doc_id>/versions")
@contract(ok=(200, ProcessGovernance), errors=(404,))
@needs(READER)
def list_process_versions(doc_id: str):
    """A process model's published versions, its approvers and the steps you may take

    Versions are numbered 1, 2, 3 in the order they were published; `published_revision` is
    the revision readers see while the next version is drafted and reviewed.
    """
    return _governance(_model(doc_id))


@bp.get("/processes/<doc_id>/versions/<a>/compare/<b>")
@contract(ok=(200, ProcessComparison), errors=(404,))
@needs(READER)
def compare_process_versions(doc_id: str, a: str, b: str):
    """Two versions of a process model compared: the Markdown and the structured steps

    `a` and `b` are version numbers; `draft` is the working copy, for the model's editors,
    owner, expert and approvers. Steps are matched by their numbers: added, removed, and
    changed with each field that differs (name, role, kind, system, inputs, outputs, next).
    """
    doc = _model(doc_id)
    found = versions.compare(current().db, doc, a, b, draft_allowed=roles.takes_part(viewer(), doc))
    return ProcessComparison(
        id=doc.id,
        a=a,
        b=b,
        markdown_diff=found.unified,
        steps=StepsDiff(
            added=[StepRef(number=x.number, name=x.name) for x in found.added],
            removed=[StepRef(number=x.number, name=x.name) for x in found.removed],
            changed=[
                ChangedStep(
                    number=x.number,
                    name=x.name,
                    fields=[StepFieldChange(field=f, before=o, after=n) for f, o, n in x.fields],
                )
                for x in found.changed
            ],
        ),
    )


@bp.post("/processes/<doc_id>/transitions")
@transition_contract(
    ProcessGovernance,
    ProcessStep,
    of="model",
    refused="Not a step of its status (details.allowed lists yours) or a missing note",
)
@needs(READER)
def process_transition(doc_id: str):
    """Take a step in a process model's governance (submit, approve, publish, …)

    `submit` (draft → in review): its editors, owner or expert; `approve` and
    `request_changes` (with a note; back to draft): its approvers; `publish` (approved →
    published, with a change summary) and `retire`: its owner or a curator. Each writes a
    revision with the new `status:`, an audit entry and `org.pmo.kb.processmodel.<verb>`.
    """
    doc = _model(doc_id)
    body = parsed_body()
    moved = governance.take_step(
        current().db,
        doc.id,
        body.action,
        viewer=viewer(),
        note=body.note or body.summary,
        base_version=body.version,
    )
    return _governance(moved)
