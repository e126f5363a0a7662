"""Opening, escalating and completing lessons reviews; the PMO taking custody of process models.

Every change appends its event (`org.pmo.kb.review.*`, `org.pmo.kb.processmodel.custodian.
changed`) in the same transaction. Everything here is idempotent: acting on the same closure
twice, or sweeping twice at the same moment, changes nothing more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.core.errors import Conflict, NotFound
from kb.core.time import day_of, utcnow
from kb.db import Database
from kb.documents import services as documents
from kb.documents.models import Document
from kb.events.kinds.processes import ProcessModelCustodianChanged
from kb.events.kinds.projects import ReviewCompleted, ReviewOpened, ReviewOverdue
from kb.events.log.services import append_event
from kb.reviews.models import Review
from kb.tasks import services as tasks

PMO = tasks.PMO
KB_ACTOR = documents.KB_ACTOR  # one name for kb's own changes
#: days past the due date after which the PMO, not only the project manager, is told
PMO_ESCALATION_DAYS = 14
NOTIFY = {1: "project_manager", 2: "pmo"}
_MODEL_ID = re.compile(r"^PM-\d{4,}$")


# --- reading -----------------------------------------------------------------------------


def current_review(s: Session, project_key: str, *, lock: bool = False) -> Review | None:
    """The project's review that matters now: an open one (its closure review first), else
    the latest completed one."""
    query = (
        select(Review)
        .where(Review.project_key == project_key.strip().upper())
        .order_by(
            (Review.status == "open").desc(), (Review.origin == "closure").desc(), Review.id.desc()
        )
        .limit(1)
    )
    review = s.scalar(query)
    if review is not None and lock:
        s.refresh(review, with_for_update=True)
    return review


def get_review(db: Database, project_key: str) -> Review | None:
    with db.read() as s:
        return current_review(s, project_key)


# --- opening -----------------------------------------------------------------------------


def review_json(review: Review) -> dict:
    return {
        "id": review.id,
        "project": review.project_key,
        "due_on": review.due_on.isoformat(),
        "facilitator": review.facilitator,
    }


def open_review(
    s: Session,
    project_key: str,
    *,
    due_on: date,
    facilitator: str | None,
    participants: list[str],
    closure_type: str | None,
    outcome_summary: str = "",
    source_event_seq: int | None = None,
    origin: str = "closure",
) -> Review | None:
    """Open the project's review of this origin (its closure, or one audit) unless it has one
    (whatever its state): None then."""
    exists = select(Review.id).where(Review.project_key == project_key, Review.origin == origin)
    if s.scalar(exists) is not None:
        return None
    review = Review(
        project_key=project_key,
        origin=origin,
        status="open",
        opened_at=utcnow(),
        due_on=due_on,
        facilitator=facilitator,
        participants=list(participants),
        closure_type=closure_type,
        outcome_summary=outcome_summary or "",
        escalation_level=0,
        source_event_seq=source_event_seq,
    )
    s.add(review)
    s.flush()
    append_event(s, ReviewOpened(**review_json(review)))
    return review


# --- custody -----------------------------------------------------------------------------


def take_custody(s: Session, doc: Document, *, project_key: str) -> bool:
    """Make the PMO custodian of a process model (new revision), keep its owner, and ask the
    PMO to confirm a business-as-usual owner. False when the PMO holds it already."""
    if (doc.custodian or "").strip() == PMO:
        return False
    former = doc.custodian
    documents.change_front_matter(
        s,
        doc,
        {"custodian": PMO},
        actor=KB_ACTOR,
        message=f"Custody to the PMO: project {project_key} closed",
    )
    custody = ProcessModelCustodianChanged(
        id=doc.id, title=doc.title, from_=former, to=PMO, owner=doc.owner, project=project_key
    )
    append_event(s, custody, partition_key=doc.project_key or project_key)
    subject = custody.subject
    if not tasks.tasks_about(s, "confirm_bau_owner", subject, status="open"):
        tasks.open_task(
            s,
            "confirm_bau_owner",
            subject,
            {
                "id": doc.id,
                "title": doc.title,
                "owner": doc.owner,
                "former_custodian": former,
                "project": project_key,
            },
        )
    return True


def models_of_closure(s: Session, project_key: str, listed: list[dict]) -> list[Document]:
    """Process documents listed in the event (by modelId) or linked to the project, by id."""
    ids = {str(m.get("modelId", "")).strip().upper() for m in listed if isinstance(m, dict)}
    ids = {i for i in ids if _MODEL_ID.match(i)}
    found = {}
    if ids:
        for doc in s.scalars(
            select(Document).where(Document.id.in_(ids), Document.type == "process")
        ):
            found[doc.id] = doc
    linked = select(Document).where(Document.project_key == project_key, Document.type == "process")
    for doc in s.scalars(linked):
        found[doc.id] = doc
    return [found[k] for k in sorted(found)]


def on_project_closed(
    s: Session, data: dict, *, due_days: int, event_seq: int | None, event_time: datetime | None
) -> None:
    """What `project.closed` does: the review, then the PMO's custody of the process models."""
    info = data.get("project") or {}
    key = str(info.get("projectId", "")).strip().upper()
    if not key:
        return
    closed = day_of(data.get("closedAt")) or (event_time or utcnow()).date()
    participants = data.get("participants") or []
    open_review(
        s,
        key,
        due_on=closed + timedelta(days=due_days),
        facilitator=(data.get("managerEmail") or info.get("managerEmail") or None),
        participants=[str(p) for p in participants if p] if isinstance(participants, list) else [],
        closure_type=data.get("closureType"),
        outcome_summary=str(data.get("outcomeSummary") or ""),
        source_event_seq=event_seq,
    )
    listed = data.get("processModels") or []
    for doc in models_of_closure(s, key, listed if isinstance(listed, list) else []):
        s.refresh(doc, with_for_update=True)  # two closures naming one model: one wins
        take_custody(s, doc, project_key=key)


# --- overdue and completion ----------------------------------------------------------------


def level_due(review: Review, now: datetime) -> int:
    """The escalation level `now` calls for: 1 past the due date, 2 past it by 14 days."""
    today = now.date()
    if today > review.due_on + timedelta(days=PMO_ESCALATION_DAYS):
        return 2
    return 1 if today > review.due_on else 0


@dataclass
class Escalation:
    project: str
    level: int


def sweep_overdue(db: Database, now: datetime | None = None) -> list[Escalation]:
    """Raise open reviews past their due date one level at a time (never skipping one);
    each level emits `org.pmo.kb.review.overdue` once. Call it periodically."""
    now = now or utcnow()
    raised: list[Escalation] = []
    with db.read() as s:
        candidates = list(
            s.scalars(
                select(Review.id).where(
                    Review.status == "open", Review.escalation_level < 2, Review.due_on < now.date()
                )
            )
        )
    if not candidates:
        return raised
    with db.write() as s:
        query = select(Review).where(Review.id.in_(candidates), Review.status == "open")
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True)  # another worker has it
        for review in s.scalars(query.order_by(Review.id)):
            target = level_due(review, now)
            while review.escalation_level < target:
                review.escalation_level += 1
                level = review.escalation_level
                append_event(
                    s, ReviewOverdue(**review_json(review), level=level, notify=NOTIFY[level])
                )
                raised.append(Escalation(review.project_key, level))
    return raised


def complete_in(s: Session, review: Review, *, actor: str, lessons: list[str]) -> None:
    """Complete `review` (locked by the caller) in the caller's transaction; emits
    `org.pmo.kb.review.completed` naming the lessons submitted with it."""
    if review.status == "completed":
        raise Conflict(f"The review of {review.project_key} is completed already.")
    review.status, review.completed_at, review.completed_by = "completed", utcnow(), actor
    append_event(
        s, ReviewCompleted(**review_json(review), completed_by=actor, lessons=list(lessons))
    )


def complete_review(db: Database, project_key: str, *, actor: str) -> Review:
    """Mark the project's review completed (submitting nothing; the workshop's submit does)."""
    key = project_key.strip().upper()
    with db.write() as s:
        review = current_review(s, key, lock=True)
        if review is None:
            raise NotFound(f"Project {key} has no review.")
        complete_in(s, review, actor=actor, lessons=[])
    return get_review(db, key)
