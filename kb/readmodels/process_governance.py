"""The governance part of a process model's page and JSON: its roles, state, approvers with
where each stands, the steps the viewer may take, its versions, and which revision the viewer
is shown (readers the published version, those who work on it the draft)."""

from __future__ import annotations

from dataclasses import dataclass

from kb.accounts.viewer import Viewer
from kb.db import Database
from kb.documents.models import Document
from kb.processes import approver_names, governance, roles
from kb.processes.approver_names import Named
from kb.processes.governance import Approver
from kb.processes.roles import shown_revision
from kb.processes.versions import Version, list_versions


@dataclass(frozen=True)
class StepChoice:
    name: str
    label: str
    effect: str
    #: what its note is called when it needs one ("a change summary"), else ""
    note: str
    primary: bool


@dataclass
class ProcessDetail:
    roles: dict[str, str | None]
    #: where each approver stands in the current round: a draft's approvers are asked
    #: afresh when it is submitted (only a request for changes, the reason it is a draft,
    #: stays); no round is open on a retired model
    approvers: list[governance.Approver]
    #: whom each approvers entry names in kb (a user, a group, nobody)
    named: dict[str, Named]
    #: display names of those who approved and published (by username)
    people: dict[str, str]
    steps: list[StepChoice]
    versions: list[Version]
    #: the revision this viewer is shown
    shown_revision: int
    #: the status of what this viewer is shown ("published" for a reader of a model whose
    #: next version is being drafted)
    shown_status: str
    #: True when the viewer sees a draft while readers see a published version
    draft_over_published: bool
    #: the latest request for changes of a draft: (who, note), else None
    changes_requested: tuple[str, str] | None

    @property
    def published(self) -> Version | None:
        return self.versions[-1] if self.versions else None


def process_detail(db: Database, doc: Document, viewer: Viewer) -> ProcessDetail:
    with db.read() as s:
        approvers = governance.approval_state(s, doc)
        named = approver_names.resolve(s, [a.name for a in approvers])
    allowed = governance.allowed_steps(viewer, doc, approvers)
    versions = list_versions(db, doc)
    actors = [a.by for a in approvers if a.by] + [
        v.published_by for v in versions if v.published_by
    ]
    with db.read() as s:
        people = approver_names.display_names(s, actors)
    shown = shown_revision(doc, viewer)
    behind = doc.published_revision not in (None, doc.version)
    asked = None
    if doc.status == "draft":
        asked = next(
            ((a.by, a.note) for a in approvers if a.state == "changes_requested" and a.by), None
        )
    return ProcessDetail(
        roles=roles.roles(doc),
        approvers=_this_round(doc, approvers),
        named=named,
        people=people,
        steps=[
            StepChoice(
                name,
                governance.STEPS[name].label,
                governance.STEPS[name].effect,
                governance.STEPS[name].note,
                name not in ("request_changes", "retire"),
            )
            for name in allowed
        ],
        versions=versions,
        shown_revision=shown,
        shown_status=doc.status if shown == doc.version else "published",
        draft_over_published=behind and shown == doc.version,
        changes_requested=asked,
    )


def _this_round(doc: Document, approvers: list[governance.Approver]) -> list[governance.Approver]:
    """Approvals count for the version they approved: under review, approved and published
    ones show them; a draft (edited after approval, or sent back) waits for all again."""
    if doc.status in ("in_review", "approved", "published"):
        return approvers
    return [
        a
        if a.state == "changes_requested" and doc.status == "draft"
        else Approver(a.name, "waiting")
        for a in approvers
    ]
