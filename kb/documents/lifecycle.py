"""The lesson lifecycle: which status may follow which and who may move a lesson there (the
curator's queue is kb.documents.queue).

draft → submitted → in_review → published → in_action → actioned → verified → archived, with
rejected, merged (into another lesson) and reopened. A draft that a review holds is
withdrawn by moving it to rejected: that step is the review's (kb.reviews.drafts decides who),
so no one reaches it from here. Each transition writes a new revision
whose front matter has the new `status:` (every other byte as it was), appends one event
`org.pmo.kb.lesson.<verb>` and one audit entry — in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from kb.accounts.services import audit
from kb.accounts.viewer import Viewer
from kb.core.errors import Conflict, Forbidden, NotFound, ValidationError
from kb.db import Database
from kb.documents import access, references, services
from kb.documents.frontmatter_edit import replace_key
from kb.documents.kinds import LESSON
from kb.documents.models import Document
from kb.events import kinds
from kb.events.log.services import append_event

CREATOR, CURATOR, CREATOR_OR_CURATOR = "creator", "curator", "creator or curator"
#: a step only the workflow holding the lesson takes, with its own permission check
REVIEW = "review's facilitator and participants, on the review page"


@dataclass(frozen=True)
class Rule:
    who: str
    reason_required: bool = False


def _table() -> dict[str, dict[str, Rule]]:
    t: dict[str, dict[str, Rule]] = {s: {} for s in LESSON.statuses}
    t["draft"]["submitted"] = Rule(CREATOR_OR_CURATOR)
    t["submitted"]["in_review"] = Rule(CURATOR)
    t["in_review"]["published"] = Rule(CURATOR)
    for state in ("submitted", "in_review"):
        t[state]["rejected"] = Rule(CURATOR, reason_required=True)
    t["published"]["in_action"] = Rule(CURATOR)
    t["in_action"]["actioned"] = Rule(CURATOR)
    t["actioned"]["verified"] = Rule(CURATOR, reason_required=True)  # the evidence
    for state in ("published", "actioned", "verified"):
        t[state]["archived"] = Rule(CURATOR)
    for state in ("verified", "actioned", "archived", "rejected"):
        t[state]["reopened"] = Rule(CURATOR, reason_required=True)
    t["reopened"]["in_review"] = Rule(CURATOR)
    t["rejected"]["draft"] = Rule(CREATOR)
    t["draft"]["rejected"] = Rule(REVIEW, reason_required=True)  # withdrawn from its review
    for state in t:
        if state not in ("archived", "merged"):
            t[state]["merged"] = Rule(CURATOR)
    return t


#: from-status -> {to-status: who may, and whether a reason is required}
TRANSITIONS: dict[str, dict[str, Rule]] = _table()
#: the event verb of each target status: org.pmo.kb.lesson.<verb>
VERBS = {
    "submitted": "submitted",
    "in_review": "review_started",
    "published": "published",
    "rejected": "rejected",
    "in_action": "action_started",
    "actioned": "actioned",
    "verified": "verified",
    "archived": "archived",
    "merged": "merged",
    "reopened": "reopened",
    "draft": "returned_to_draft",
}
#: the revision message of each target status
MESSAGES = {
    "submitted": "Submitted",
    "in_review": "Review started",
    "published": "Published",
    "rejected": "Rejected",
    "in_action": "Action started",
    "actioned": "Actioned",
    "verified": "Verified",
    "archived": "Archived",
    "merged": "Merged",
    "reopened": "Reopened",
    "draft": "Returned to draft for rework",
}


#: each step in the words of a refusal: "Only curators can publish this lesson."
STEP_WORDS = {
    "submitted": "submit",
    "in_review": "start the review of",
    "published": "publish",
    "rejected": "reject",
    "in_action": "start action on",
    "actioned": "mark as actioned",
    "verified": "verify",
    "archived": "archive",
    "merged": "merge",
    "reopened": "reopen",
    "draft": "return to draft",
}
WHO_WORDS = {
    CURATOR: "curators (the PMO)",
    CREATOR: "the lesson's author",
    CREATOR_OR_CURATOR: "the lesson's author and curators",
    REVIEW: "the review's facilitator and participants, on the review page,",
}


def refusal(to: str, rule: Rule) -> str:
    """Why a step is refused, in plain words (nothing about the lesson itself)."""
    return f"Only {WHO_WORDS[rule.who]} can {STEP_WORDS[to]} this lesson."


def _may(viewer: Viewer, doc: Document, rule: Rule) -> bool:
    curator = viewer.has_role("curator")
    creator = (
        viewer.has_role("contributor")
        and viewer.username is not None
        and doc.created_by == viewer.username
    )
    if rule.who == CURATOR:
        return curator
    if rule.who == CREATOR:
        return creator
    if rule.who == REVIEW:
        return False  # kb.reviews.drafts.withdraw_draft, through apply_transition
    return creator or curator


def allowed_transitions(viewer: Viewer, doc: Document) -> list[str]:
    """The statuses this viewer may move `doc` to now (empty for other types)."""
    if doc.type != "lesson" or not access.can_read(viewer, doc):
        return []
    return [to for to, rule in TRANSITIONS.get(doc.status, {}).items() if _may(viewer, doc, rule)]


def transition_lesson(
    db: Database,
    doc_id: str,
    to: str,
    *,
    viewer: Viewer,
    reason: str | None = None,
    merged_into: str | None = None,
    base_version: int | None = None,
) -> Document:
    """Move lesson `doc_id` to status `to`. `base_version`, when given, is the version the
    caller saw: a lesson changed since then is refused (409) like a concurrent edit."""
    doc = services.get_readable(db, doc_id, viewer, with_revision=True)
    if doc is None or doc.type != "lesson":
        raise NotFound(f"There is no lesson {doc_id}.")
    reason = (reason or "").strip() or None
    current = doc.status
    rule = _rule(doc, to)
    if not _may(viewer, doc, rule):
        raise Forbidden(refusal(to, rule), details={"allowed": allowed_transitions(viewer, doc)})
    if rule.reason_required and not reason:
        what = "the evidence" if to == "verified" else "a reason"
        raise ValidationError(f"Give {what} to move this lesson to {to}.", field="reason")
    if reason and len(reason) > 2000:
        raise ValidationError("Keep the reason under 2,000 characters.", field="reason")
    if base_version is not None and base_version != doc.version:
        raise _changed(doc, base_version)
    named = None
    if to == "merged":
        merged_into = (merged_into or "").strip().upper()
        target = services.get_readable(db, merged_into, viewer) if merged_into else None
        _check_target(doc, target)
        with db.read() as s:
            named = merged_into if references.every_reader_may_read(s, doc, target) else None
    else:
        merged_into = None
    # Parsed and rendered before the transaction: a slow render never holds the write lock.
    prepared = _prepare(doc.current_revision.markdown, to, named)
    with db.write() as s:
        locked = s.get(Document, doc.id, with_for_update=True)
        if locked.version != doc.version or locked.status != current:
            raise _changed(locked, doc.version)
        _write(s, locked, to, prepared, actor=viewer.actor, reason=reason, merged_into=merged_into)
    return services.get_document(db, doc.id)


def apply_transition(
    s: Session,
    doc: Document,
    to: str,
    *,
    actor: str,
    reason: str | None = None,
    refers_to: str | None = None,
    public_reason: str | None = None,
) -> Document:
    """Move `doc` (loaded in `s`; lock it first when racing matters) to status `to` inside the
    caller's transaction: a new revision with the new status line, one audit entry and one
    `lesson.<verb>` event. No permission check: the caller decides who may. A merge names
    its target, so it goes through transition_lesson (which checks the target) only.

    A `reason` naming another document gives its id as `refers_to` and, as `public_reason`,
    the words for whoever may not read it (kb.documents.references)."""
    if to == "merged":
        raise ValueError("a merge names its target: use transition_lesson")
    _rule(doc, to)
    reason = (reason or "").strip() or None
    prepared = _prepare(doc.current_revision.markdown, to, None)
    _write(
        s,
        doc,
        to,
        prepared,
        actor=actor,
        reason=reason,
        refers_to=refers_to,
        public_reason=public_reason,
    )
    return doc


def _rule(doc: Document, to: str) -> Rule:
    """The rule for moving `doc` to `to`; 400 naming the statuses it can go to otherwise."""
    current = doc.status
    nexts = TRANSITIONS.get(current, {}) if doc.type == "lesson" else {}
    if to not in nexts:
        allowed = ", ".join(nexts) or "nothing (this is final)"
        raise ValidationError(
            f"A {current.replace('_', ' ')} lesson cannot become {to!s}; it can go to: {allowed}.",
            field="to",
            details={"from": current, "allowed": list(nexts)},
        )
    return nexts[to]


def _check_target(doc: Document, target: Document | None) -> None:
    if target is None or target.type != "lesson" or target.id == doc.id:
        raise ValidationError(
            "Name the lesson this one is merged into (an existing lesson id).", field="merged_into"
        )


def _prepare(markdown: str, to: str, merged_into: str | None) -> services.Prepared:
    """The new source: its status line, and `merged_into` when every reader of the lesson may
    read the target (the front matter is text every reader gets)."""
    source = replace_key(markdown, "status", to)
    if merged_into:
        source = replace_key(source, "merged_into", merged_into)
    prepared = services.prepare(source, type_hint="lesson")
    if prepared.record.columns["status"] != to:  # pragma: no cover - replace_key verified it
        raise ValidationError("The new status could not be written.", field="status")
    return prepared


def _write(
    s: Session,
    doc: Document,
    to: str,
    prepared: services.Prepared,
    *,
    actor: str,
    reason: str | None,
    merged_into: str | None = None,
    refers_to: str | None = None,
    public_reason: str | None = None,
) -> None:
    current = doc.status
    message = MESSAGES[to] + (f" into {merged_into}" if merged_into else "")
    if reason:
        message += f": {reason}"
    named = None
    refers_to = merged_into or refers_to
    if refers_to:  # the note everyone may read; the one naming `refers_to` for its readers
        named = message
        public_reason = (public_reason or "").strip() or None
        message = MESSAGES[to] + (f" into {references.HIDDEN}" if merged_into else "")
        message += f": {public_reason}" if public_reason else ""
    services.add_revision(
        s, doc, prepared, actor=actor, message=message, refers_to=refers_to, named_message=named
    )
    verb = VERBS[to]
    details = {"from": current, "to": to, "reason": reason, "version": doc.version}
    if merged_into:
        details["merged_into"] = merged_into
    audit(s, actor, f"lesson.{verb}", doc.id, **details)
    # subscribers and people who may not read `refers_to` get `public_reason` as the reason
    # and no name (kb.documents.references.event_view)
    transitioned = kinds.of_type(f"lesson.{verb}")
    append_event(
        s,
        transitioned(
            id=doc.id,
            title=doc.title,
            version=doc.version,
            status=to,
            from_=current,
            to=to,
            reason=reason,
            actor=actor,
            project=doc.project_key,
            merged_into=merged_into or None,
            refers_to=refers_to,
            public_reason=public_reason if refers_to else None,
        ),
    )


def _changed(doc: Document, seen: int) -> Conflict:
    return Conflict(
        f"{doc.id} changed meanwhile (now version {doc.version}, status {doc.status}; you saw "
        f"version {seen}). Reload it and decide again.",
        field="version",
        details={"current_version": doc.version, "current_status": doc.status},
    )
