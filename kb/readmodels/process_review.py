"""What a process model's page shows of its review cycle: health, next and last review, whether
the viewer may record "reviewed, no change", and what changed since the viewer last looked."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from kb.accounts.viewer import Viewer
from kb.core.time import add_months
from kb.db import Database
from kb.documents.models import Document
from kb.overdue.health import Health, period_of, review_health
from kb.processes import involvement, review
from kb.processes.approver_names import display_names
from kb.processes.involvement import Change
from kb.processes.models import ProcessReview, ProcessView


@dataclass
class ReviewCycle:
    health: Health
    #: the latest "reviewed, no change" (None: none recorded in kb)
    last_review: ProcessReview | None
    may_mark_reviewed: bool
    #: the latest "reviewed, no change" was today
    reviewed_today: bool
    #: who recorded the latest one: their display name (else their username), or None
    reviewer: str | None
    #: the next review if the viewer records "reviewed, no change" today
    next_if_reviewed: date
    #: what the viewer saw when they last opened the page (None: never, or not signed in)
    seen: ProcessView | None
    #: revisions since then, newest first
    changes: list[Change] = field(default_factory=list)


def review_cycle(db: Database, doc: Document, viewer: Viewer, today: date) -> ReviewCycle:
    """`may_mark_reviewed`: offered on a published model (a draft or one under review is
    being changed anyway) not reviewed today already."""
    seen, changes = involvement.last_view(db, viewer, doc)
    last = review.last_review(db, doc.id)
    done_today = last is not None and last.reviewed_on == today
    reviewer = None
    if last is not None:
        with db.read() as s:
            names = display_names(s, [last.reviewed_by])
        reviewer = names.get(last.reviewed_by, last.reviewed_by)
    return ReviewCycle(
        health=review_health(doc, today),
        last_review=last,
        may_mark_reviewed=doc.status == "published"
        and not done_today
        and review.may_review(db, viewer, doc),
        reviewed_today=done_today,
        reviewer=reviewer,
        next_if_reviewed=add_months(today, period_of(doc)),
        seen=seen,
        changes=changes,
    )
