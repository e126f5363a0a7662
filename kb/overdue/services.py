"""Telling what is overdue, listing it, and telling its owner once.

Overdue means, on the day `today` (UTC):
- an action: open, and its due date has passed;
- a lessons review: open, and its due date has passed (its escalation is kb.reviews);
- a process model not retired: its next review
  (`last_reviewed` + `review_period_months`) has passed.

The sweep (run by the worker at the start of a pass, at most once a minute) appends
`org.pmo.kb.lesson.action.overdue` once per action and due date, and
`org.pmo.kb.processmodel.review_due` once per process model and review period it stays overdue
(kb.overdue.health): the OverdueNotice row and the event are written in one transaction, and
the row's unique key keeps a second sweep (or another worker) from telling again. When a
model the PMO keeps goes red, the PMO also gets a `review_process_model` task, once per due
date. Reviews already tell their facilitator and the PMO once per level (review.overdue).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kb.accounts.viewer import Viewer
from kb.actions.models import Action
from kb.actions.services import action_json
from kb.core.time import add_months, utcnow
from kb.db import Database
from kb.documents import access
from kb.documents.models import Document
from kb.events.kinds.lessons import LessonActionOverdue
from kb.events.kinds.processes import ProcessModelReviewDue
from kb.events.log.services import append_event
from kb.overdue.health import (
    DEFAULT_PERIOD,
    RED,
    REVIEWED_STATUSES,
    day_of_moment,
    health_ids,
    overdue_period,
)
from kb.overdue.models import OverdueNotice
from kb.reviews.models import Review
from kb.reviews.services import sweep_overdue
from kb.tasks import services as tasks

ACTION_STATUSES = ("open", "closed", "any")
#: the PMO's task when a model in its custody goes red
REVIEW_TASK = "review_process_model"


def action_overdue(action: Action, today: date) -> bool:
    return action.status == "open" and action.due_on is not None and action.due_on < today


def review_overdue(review: Review, today: date) -> bool:
    return review.status == "open" and review.due_on < today


def _overdue_actions(today: date):  # noqa: ANN202
    return and_(Action.status == "open", Action.due_on.is_not(None), Action.due_on < today)


def lessons_overdue_since(
    db: Database, today: date, ids: list[str] | None = None
) -> dict[str, date]:
    """Lesson id -> the due date of its oldest overdue action (only lessons that have one;
    with `ids`, only among those)."""
    query = select(Action.lesson_id, func.min(Action.due_on)).where(_overdue_actions(today))
    if ids is not None:
        query = query.where(Action.lesson_id.in_(ids))
    with db.read() as s:
        return dict(s.execute(query.group_by(Action.lesson_id)).all())


def overdue_ids(db: Database, doc_type: str, today: date) -> list[str]:
    """Ids of lessons with an overdue action, or of process models overdue for review (the
    `overdue` filter of the lists); other types have nothing overdue."""
    if doc_type == "lesson":
        return sorted(lessons_overdue_since(db, today))
    if doc_type == "process":
        return health_ids(db, RED, today)
    return []


@dataclass(frozen=True)
class ActionRow:
    action: Action
    lesson: Document


def list_actions(
    db: Database,
    viewer: Viewer,
    *,
    today: date,
    overdue: bool = False,
    owner: str | None = None,
    status: str = "open",
    limit: int = 500,
) -> list[ActionRow]:
    """Actions of the lessons `viewer` may read, soonest due first (no date last)."""
    query = select(Action, Document).join(Document, Document.id == Action.lesson_id)
    query = query.where(access.readable(viewer), Action.target_kind != "none")
    if overdue:
        query = query.where(_overdue_actions(today))
    elif status != "any":
        query = query.where(Action.status == status)
    if owner:
        query = query.where(Action.owner == owner)
    query = query.order_by(Action.due_on.is_(None), Action.due_on, Action.id).limit(limit)
    with db.read() as s:
        return [ActionRow(a, d) for a, d in s.execute(query)]


def list_reviews(db: Database, *, today: date, overdue: bool = False) -> list[Review]:
    """Open lessons reviews, soonest due first (only the overdue ones with `overdue`)."""
    query = select(Review).where(Review.status == "open")
    if overdue:
        query = query.where(Review.due_on < today)
    with db.read() as s:
        return list(s.scalars(query.order_by(Review.due_on, Review.id)))


# --- telling owners once -------------------------------------------------------------------


def _tell_once(s: Session, subject: str, due_on: date, now: datetime) -> bool:
    """Record the notice unless it exists (INSERT ... ON CONFLICT DO NOTHING RETURNING: a
    unique key, not a check-then-insert, so two sweeps at once tell once)."""
    dialect = postgresql if s.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(OverdueNotice)
        .values(subject=subject, due_on=due_on, notified_at=now)
        .on_conflict_do_nothing()
        .returning(OverdueNotice.id)
    )
    return s.execute(statement).scalar() is not None


def _due_models(
    s: Session, today: date, told: set[tuple[str, date]]
) -> list[tuple[str, date, date]]:
    """(id, due date, start of the overdue period) of the process models overdue and not told
    for that period: the three columns the dates need, not whole documents."""
    rows = s.execute(
        select(Document.id, Document.last_reviewed, Document.review_period_months)
        .where(
            Document.type == "process",
            Document.status.in_(REVIEWED_STATUSES),
            Document.last_reviewed.is_not(None),
        )
        .order_by(Document.id)
    )
    due = []
    for doc_id, last, months in rows:
        on = add_months(last, months or DEFAULT_PERIOD)
        if on < today:
            period = overdue_period(last, months or DEFAULT_PERIOD, today)
            if (notice_subject(doc_id, on, period), period) not in told:
                due.append((doc_id, on, period))
    return due


def notice_subject(doc_id: str, due: date, period: date) -> str:
    """The ledger's subject for a model's notice: `processes/<id>` for its first overdue
    period (keyed by the due date), `processes/<id>/due/<due date>` for each later one (keyed
    by the period's start), so that another `last_reviewed` never shares a later period's row."""
    subject = f"processes/{doc_id}"
    return subject if period == due else f"{subject}/due/{due.isoformat()}"


def in_custody(doc: Document) -> bool:
    """Whether the PMO keeps the model (custodian PMO, as a closing project leaves it)."""
    return (doc.custodian or "").strip().casefold() == tasks.PMO.casefold()


def _tell_model(s: Session, doc: Document, due: date, period: date) -> None:
    """`processmodel.review_due` for one overdue period; when the PMO keeps the model and it
    has just gone red (no task for this due date yet, open or done), a task for the PMO."""
    append_event(
        s,
        ProcessModelReviewDue(
            id=doc.id,
            title=doc.title,
            owner=doc.owner,
            custodian=doc.custodian,
            due_on=due,
            last_reviewed=doc.last_reviewed,
            project=doc.project_key,
            period_start=period,
        ),
    )
    subject = f"processes/{doc.id}"
    if not in_custody(doc):
        return
    earlier = tasks.tasks_about(s, REVIEW_TASK, subject)
    if any((t.details or {}).get("due_on") == due.isoformat() for t in earlier):
        return
    tasks.open_task(
        s,
        REVIEW_TASK,
        subject,
        {
            "id": doc.id,
            "title": doc.title,
            "project": doc.project_key,
            "owner": doc.owner,
            "due_on": due.isoformat(),
        },
    )


def sweep(db: Database, now: datetime | None = None) -> int:
    """Tell the owner of every action overdue at `now` once per due date, and the owner and
    custodian of every process model overdue at `now` once per review period; returns how
    many were told. Running it again at the same moment tells nobody."""
    now = now or utcnow()
    today = day_of_moment(now)
    with db.read() as s:
        told = {
            (subject, due)
            for subject, due in s.execute(
                select(OverdueNotice.subject, OverdueNotice.due_on).where(
                    OverdueNotice.due_on < today
                )
            )
        }
        actions = [
            a
            for a in s.scalars(select(Action).where(_overdue_actions(today)).order_by(Action.id))
            if (f"actions/{a.id}", a.due_on) not in told
        ]
        models = _due_models(s, today, told)
    if not actions and not models:
        return 0
    count = 0
    with db.write() as s:
        for action in actions:
            if _tell_once(s, f"actions/{action.id}", action.due_on, now):
                doc = s.get(Document, action.lesson_id)
                append_event(
                    s,
                    LessonActionOverdue(
                        **action_json(action), title=doc.title, project=doc.project_key
                    ),
                )
                count += 1
        for doc_id, due, period in models:
            if _tell_once(s, notice_subject(doc_id, due, period), period, now):
                _tell_model(s, s.get(Document, doc_id), due, period)
                count += 1
    return count


class Sweeper:
    """The worker's periodic call: the escalation of overdue reviews (kb.reviews), then this
    module's sweep. Overdue is decided by the day, so sweeping at most once every `every`
    seconds is enough: an idle worker does not read every process model twice a second, and
    a busy one does not read the open reviews before each event it handles (a fifth of the
    CPU a single event cost the server with its worker)."""

    def __init__(self, db: Database, every: float = 60.0):
        self.db, self.every = db, every
        self.last: datetime | None = None

    def __call__(self, now: datetime) -> int:
        if self.last is not None and 0 <= (now - self.last).total_seconds() < self.every:
            return 0  # (a clock set back sweeps at once)
        self.last = now
        return len(sweep_overdue(self.db, now)) + sweep(self.db, now)
