"""A process model's governance: draft → in_review → approved → published → retired.

The roles are front matter (docs/format.md): `owner` (accountable), `expert` (maintains it),
`custodian` (the PMO after closure) and `approvers` (kb usernames or group names; without
any, the owner alone approves). The steps:

- submit (draft → in_review): its editors, owner or expert; opens a round of approvals;
- approve (in_review; → approved once no approver waits): an approver, for every entry
  they answer for (their username, their groups);
- request changes (in_review → draft, with a note): an approver;
- publish (approved → published, with a change summary): the owner or a curator; the
  revision becomes the version readers see (kb.processes.versions);
- retire (published → retired): the owner or a curator; still readable and searchable.

Saving the content of a model under review, approved or published drafts its next version
(kb.documents.services.governed): readers keep the published one. Each step writes a new
revision whose front matter has the new `status:` (every other byte as it was), one event
`org.pmo.kb.processmodel.<verb>` and one audit entry — in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.accounts.services import audit
from kb.accounts.viewer import Viewer
from kb.core.errors import Conflict, Forbidden, NotFound, ValidationError
from kb.core.time import utcnow
from kb.db import Database
from kb.documents import access
from kb.documents import services as documents
from kb.documents.frontmatter_edit import with_front_matter
from kb.documents.models import Document, DocumentRevision
from kb.events.kinds import processes as events
from kb.events.log.services import append_event
from kb.processes import approver_names, versions
from kb.processes.models import ProcessApproval
from kb.processes.roles import answers_for, approvers_of, is_named, named

EDITORS, APPROVER, OWNER_OR_CURATOR = "editors", "approver", "owner or curator"
NOTE_MAX = 2000


@dataclass(frozen=True)
class Step:
    name: str
    source: str  # the status it starts from
    who: str
    label: str  # its button
    effect: str  # one line under the button
    note: str = ""  # what its note is called when it needs one


STEPS = {
    s.name: s
    for s in (
        Step(
            "submit",
            "draft",
            EDITORS,
            "Submit for review",
            "Ask the approvers to approve this version.",
        ),
        Step("approve", "in_review", APPROVER, "Approve", "Approve this version for publication."),
        Step(
            "request_changes",
            "in_review",
            APPROVER,
            "Ask for changes",
            "Send it back to draft with a note saying what to change.",
            note="a note saying what to change",
        ),
        Step(
            "publish",
            "approved",
            OWNER_OR_CURATOR,
            "Publish",
            "Readers see this version from now on.",
            note="a change summary",
        ),
        Step(
            "retire",
            "published",
            OWNER_OR_CURATOR,
            "Retire",
            "Mark it as no longer in use; it stays readable and searchable.",
        ),
    )
}
WHO_WORDS = {
    EDITORS: "the model's editors, owner and expert",
    APPROVER: "its approvers",
    OWNER_OR_CURATOR: "its owner and curators (the PMO)",
}
MESSAGES = {
    "submit": "Submitted for review",
    "approve": "Approved",
    "request_changes": "Changes requested",
    "publish": "Published",
    "retire": "Retired",
}


@dataclass(frozen=True)
class Approver:
    """One `approvers:` entry and where it stands in the current round."""

    name: str
    state: str  # waiting | approved | changes_requested
    by: str | None = None
    at: object = None
    note: str = ""


def _decisions(s: Session, doc_id: str) -> list[ProcessApproval]:
    """The decisions of the current round (oldest first): those after the latest submission,
    or every one for a model that came in under review (imported, never submitted in kb)."""
    query = select(ProcessApproval).where(ProcessApproval.document_id == doc_id)
    rows = list(s.scalars(query.order_by(ProcessApproval.id)))
    starts = [i for i, row in enumerate(rows) if row.decision == "submitted"]
    return rows[starts[-1] + 1 :] if starts else rows


def approval_state(s: Session, doc: Document) -> list[Approver]:
    """Every entry of the current round, in the order the front matter names them."""
    found: dict[str, Approver] = {}
    for row in _decisions(s, doc.id):
        for name in row.approvers or []:
            found[name] = Approver(name, row.decision, row.decided_by, row.decided_at, row.note)
    return [found.get(name, Approver(name, "waiting")) for name in approvers_of(doc)]


def _may(viewer: Viewer, doc: Document, step: Step, state: list[Approver]) -> bool:
    if viewer.is_anonymous or viewer.read_only or not access.can_read(viewer, doc):
        return False
    if step.who == EDITORS:
        return access.can_edit(viewer, doc) or named(viewer, doc)
    if step.who == APPROVER:
        mine = set(answers_for(viewer, doc))
        if step.name == "approve":
            return any(a.state == "waiting" and a.name in mine for a in state)
        return bool(mine)
    return viewer.has_role("curator") or is_named(viewer, doc.owner)


def allowed_steps(viewer: Viewer, doc: Document, state: list[Approver]) -> list[str]:
    """The steps `viewer` may take now (empty for other kinds of document)."""
    if doc.type != "process":
        return []
    return [
        n for n, st in STEPS.items() if st.source == doc.status and _may(viewer, doc, st, state)
    ]


def refusal(step: Step) -> str:
    return f"Only {WHO_WORDS[step.who]} can {step.label.lower()} this process model."


def take_step(
    db: Database,
    doc_id: str,
    name: str,
    *,
    viewer: Viewer,
    note: str | None = None,
    base_version: int | None = None,
) -> Document:
    """Take step `name` on process model `doc_id` (`note`: the change summary to publish,
    what to change, or any remark). `base_version`: the revision the caller saw."""
    doc = documents.get_readable(db, doc_id, viewer, with_revision=True)
    if doc is None or doc.type != "process":
        raise NotFound(f"There is no process model {doc_id}.")
    step = STEPS.get(name)
    if step is None:
        raise ValidationError(
            f"'{name}' is not a step; the steps are: {', '.join(STEPS)}.", field="action"
        )
    with db.read() as s:
        state = approval_state(s, doc)
    if doc.status != step.source:
        nexts = [n for n, st in STEPS.items() if st.source == doc.status] or ["none"]
        raise ValidationError(
            f"A {doc.status.replace('_', ' ')} process model cannot take the step "
            f"'{name}'; its next steps are: {', '.join(nexts)}.",
            field="action",
            details={"status": doc.status, "allowed": allowed_steps(viewer, doc, state)},
        )
    if not _may(viewer, doc, step, state):
        raise Forbidden(refusal(step), details={"allowed": allowed_steps(viewer, doc, state)})
    note = " ".join((note or "").split()) or None
    if step.note and not note:
        raise ValidationError(f"Give {step.note} to {step.label.lower()}.", field="note")
    if note and len(note) > NOTE_MAX:
        raise ValidationError("Keep the note under 2,000 characters.", field="note")
    stale = base_version is not None and base_version != doc.version
    if stale and (name != "approve" or not _only_approvals_since(db, doc, base_version)):
        raise _changed(doc, base_version)
    with db.write() as s:
        locked = s.get(Document, doc.id, with_for_update=True)
        # another approver's approval meanwhile is no conflict; any other change is
        if locked.status != doc.status or (locked.version != doc.version and name != "approve"):
            raise _changed(locked, doc.version)
        _STEPS[name](s, locked, viewer, note)
    return documents.get_document(db, doc.id)


def _only_approvals_since(db: Database, doc: Document, seen: int) -> bool:
    """Whether every revision after `seen` is another approver's approval: the text the
    viewer approves is the text they saw."""
    query = select(DocumentRevision.message).where(
        DocumentRevision.document_id == doc.id, DocumentRevision.number > seen
    )
    with db.read() as s:
        messages = list(s.scalars(query))
    return seen < doc.version and all(m.startswith(MESSAGES["approve"] + " by ") for m in messages)


# --- the steps, inside the transaction ---------------------------------------------------------


def _submit(s: Session, doc: Document, viewer: Viewer, note: str | None) -> None:
    names = approvers_of(doc)
    if not names:
        raise ValidationError(
            "Name who approves it first: `approvers:` (kb usernames or groups) or an owner.",
            field="approvers",
        )
    unknown = approver_names.unknown(s, names)
    if unknown:
        raise ValidationError(
            f"kb has no user or group {', '.join(unknown)}: approvers must be kb usernames or "
            "group names (without `approvers:`, the owner must be a kb username).",
            field="approvers",
        )
    _decide(s, doc, viewer, "submitted", names, note)
    _write(s, doc, "submit", "in_review", viewer, note, approvers=names)


def _approve(s: Session, doc: Document, viewer: Viewer, note: str | None) -> None:
    state = approval_state(s, doc)
    mine = set(answers_for(viewer, doc))
    entries = [a.name for a in state if a.state == "waiting" and a.name in mine]
    if not entries:  # a member of the same group approved meanwhile
        raise Conflict("Your approval is given already: nothing of yours waits.")
    waiting = [a.name for a in state if a.state != "approved" and a.name not in entries]
    _decide(s, doc, viewer, "approved", entries, note)
    to = "in_review" if waiting else "approved"
    _write(s, doc, "approve", to, viewer, note, approvers=entries, waiting=waiting)


def _request_changes(s: Session, doc: Document, viewer: Viewer, note: str | None) -> None:
    _decide(s, doc, viewer, "changes_requested", answers_for(viewer, doc), note)
    _write(s, doc, "request_changes", "draft", viewer, note)


def _publish(s: Session, doc: Document, viewer: Viewer, note: str | None) -> None:
    waiting = [a.name for a in approval_state(s, doc) if a.state != "approved"]
    if waiting:  # pragma: no cover - an approved model's approvers cannot change unsaved
        raise ValidationError(f"Still to approve: {', '.join(waiting)}.", field="approvers")
    found = versions.versions_in(s, doc)
    label = versions.next_label(doc, found)
    _write(
        s, doc, "publish", "published", viewer, None, label=label, summary=note or "", found=found
    )


def _retire(s: Session, doc: Document, viewer: Viewer, note: str | None) -> None:
    _write(s, doc, "retire", "retired", viewer, note)


_STEPS = {
    "submit": _submit,
    "approve": _approve,
    "request_changes": _request_changes,
    "publish": _publish,
    "retire": _retire,
}


def _decide(
    s: Session, doc: Document, viewer: Viewer, decision: str, names: list[str], note: str | None
) -> None:
    s.add(
        ProcessApproval(
            document_id=doc.id,
            decision=decision,
            approvers=list(names),
            decided_by=viewer.actor,
            note=note or "",
            decided_at=utcnow(),
        )
    )


def _write(
    s: Session,
    doc: Document,
    name: str,
    to: str,
    viewer: Viewer,
    note: str | None,
    *,
    label: str | None = None,
    summary: str = "",
    found: list[versions.Version] | None = None,
    **fields: object,
) -> None:
    source = with_front_matter(doc.current_revision.markdown, "status", to)
    if label is not None:
        source = with_front_matter(source, "version", label)
    prepared = documents.prepare(source, type_hint="process")
    before = doc.status
    message = MESSAGES[name] + (f" {label}" if label else "")
    if name == "approve":
        message += f" by {viewer.actor}" + ("" if to == "approved" else " (others still to)")
    message += f": {summary or note}" if (summary or note) else ""
    documents.add_revision(s, doc, prepared, actor=viewer.actor, message=message)
    if name == "publish":
        number = versions.record(s, doc, found or [], label=label, summary=summary, by=viewer.actor)
        fields.update(number=number, label=label, summary=summary)
    if name in ("publish", "retire"):
        doc.published_revision = doc.version
    common = {
        "id": doc.id,
        "title": doc.title,
        "version": doc.version,
        "status": to,
        "from_": before,
        "actor": viewer.actor,
        "project": doc.project_key,
        "note": note,
    }
    audit(s, viewer.actor, f"processmodel.{name}", doc.id, status=to, note=note, **fields)
    append_event(s, EVENTS[name](**common, **fields))


EVENTS = {
    "submit": events.ProcessModelSubmitted,
    "approve": events.ProcessModelApproved,
    "request_changes": events.ProcessModelChangesRequested,
    "publish": events.ProcessModelPublished,
    "retire": events.ProcessModelRetired,
}


def _changed(doc: Document, seen: int) -> Conflict:
    return Conflict(
        f"{doc.id} changed meanwhile (now revision {doc.version}, status "
        f"{doc.status.replace('_', ' ')}; you saw revision {seen}). Reload it and decide again.",
        field="version",
        details={"current_version": doc.version, "current_status": doc.status},
    )
