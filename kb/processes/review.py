"""'Reviewed, no change': the model's owner, expert or custodian, or a curator, confirms that a
process model still holds. One transaction writes the record (who, when), the revision that
sets `last_reviewed` to the UTC day of the review, `org.pmo.kb.processmodel.reviewed`, its
audit entry, and marks the PMO's open `review_process_model` task about the model done.

Owner, expert and custodian are front matter text (`owner:`, `expert:` — one or a list —,
`custodian:`): a person is one of them when the text is their username, their name or their
e-mail address (any case). The custodian `PMO` is the curators.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.accounts.models import User
from kb.accounts.services import audit
from kb.accounts.viewer import Viewer
from kb.core.errors import Conflict, Forbidden, NotFound
from kb.core.time import add_months, utcnow
from kb.db import Database
from kb.documents import access
from kb.documents import services as documents
from kb.documents.models import Document
from kb.events.kinds.processes import ProcessModelReviewed
from kb.events.log.services import append_event
from kb.overdue.health import REVIEWED_STATUSES, day_of_moment, period_of
from kb.overdue.services import REVIEW_TASK
from kb.processes.models import ProcessReview
from kb.processes.roles import experts_of
from kb.tasks import services as tasks

MESSAGE = "Reviewed, no change"
REFUSAL = (
    "Only the model's owner, expert or custodian and curators (the PMO) can record that it "
    "was reviewed."
)


@dataclass(frozen=True)
class Recorded:
    review: ProcessReview
    next_review: date


def names_of(s: Session, viewer: Viewer) -> set[str]:
    """What the front matter may call `viewer`: username, name, e-mail address (case-folded)."""
    if viewer.is_anonymous:
        return set()
    email = s.scalar(select(User.email).where(User.username == viewer.username))
    return {x.strip().casefold() for x in (viewer.username, viewer.display_name, email) if x}


def roles_of(names: set[str], doc: Document) -> list[str]:
    """Which of owner, expert and custodian `names` hold on `doc`."""
    held = {
        "owner": [doc.owner or ""],
        "expert": experts_of(doc),
        "custodian": [doc.custodian or ""],
    }
    return [role for role, who in held.items() if any(x.strip().casefold() in names for x in who)]


def may_mark_reviewed(s: Session, viewer: Viewer, doc: Document) -> bool:
    if viewer.is_anonymous or viewer.read_only or doc.type != "process":
        return False
    if doc.status not in REVIEWED_STATUSES or not access.can_read(viewer, doc):
        return False
    return viewer.has_role("curator") or bool(roles_of(names_of(s, viewer), doc))


def may_review(db: Database, viewer: Viewer, doc: Document) -> bool:
    """Whether a page offers `viewer` "Reviewed, no change" on `doc`."""
    with db.read() as s:
        return may_mark_reviewed(s, viewer, doc)


def mark_reviewed(
    db: Database, doc_id: str, *, viewer: Viewer, now: datetime | None = None
) -> Recorded:
    """Record "reviewed, no change" on the model at `now` (its UTC day becomes
    `last_reviewed`; no revision when the front matter says that day already)."""
    now = now or utcnow()
    today = day_of_moment(now)
    with db.write() as s:
        doc = s.get(Document, doc_id.strip().upper(), with_for_update=True)
        if doc is None or doc.type != "process" or not access.can_read(viewer, doc):
            raise NotFound(f"There is no process model {doc_id}.")
        if doc.status not in REVIEWED_STATUSES:
            raise Conflict(f"{doc.id} is {doc.status}: a retired model is not reviewed.")
        if not may_mark_reviewed(s, viewer, doc):
            raise Forbidden(REFUSAL)
        documents.change_front_matter(
            s, doc, {"last_reviewed": today}, actor=viewer.actor, message=MESSAGE
        )
        review = ProcessReview(
            document_id=doc.id,
            reviewed_on=today,
            reviewed_by=viewer.actor,
            reviewed_at=now,
            revision=doc.version,
        )
        s.add(review)
        months = period_of(doc)
        audit(s, viewer.actor, "processmodel.reviewed", doc.id, reviewed_on=today.isoformat())
        append_event(
            s,
            ProcessModelReviewed(
                id=doc.id,
                title=doc.title,
                reviewed_by=viewer.actor,
                reviewed_on=today,
                next_review=add_months(today, months),
                review_period_months=months,
                project=doc.project_key,
            ),
            partition_key=doc.project_key,
        )
        for task in tasks.tasks_about(s, REVIEW_TASK, f"processes/{doc.id}", status="open"):
            tasks.mark_done(s, task, actor=viewer.actor, note=MESSAGE)
        s.flush()
        s.expunge(review)
    return Recorded(review, add_months(today, months))


def last_review(db: Database, doc_id: str) -> ProcessReview | None:
    """The latest "reviewed, no change" of a model."""
    with db.read() as s:
        query = select(ProcessReview).where(ProcessReview.document_id == doc_id)
        return s.scalar(query.order_by(ProcessReview.id.desc()).limit(1))
