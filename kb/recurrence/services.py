"""Recurrence: a submitted problem lesson that matches an actioned or verified lesson of
another project means the problem came back. The older lesson is reopened, the pair is
recorded (once: unique on the pair) and `lesson.recurred` is emitted — in the transaction
of the `lesson.submitted` handler run, so a replayed event changes nothing more."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from kb.accounts.viewer import SYSTEM, Viewer
from kb.db import Database
from kb.documents import access, references
from kb.documents.lifecycle import apply_transition
from kb.documents.models import Document
from kb.events.kinds.lessons import LessonRecurred
from kb.events.log.services import append_event
from kb.recurrence.models import LessonRecurrence
from kb.recurrence.similarity import THRESHOLD, Similar, similar_lessons
from kb.search import SearchIndex

log = logging.getLogger(__name__)

#: the older lesson's statuses that make a match a recurrence (the problem was dealt with)
DEALT_WITH = ["actioned", "verified"]
#: from this score on, a match is a recurrence even without a tag or topic in common
SURE = 0.6


def detect_recurrences(
    s: Session, index: SearchIndex | None, lesson_id: str, *, event_seq: int | None = None
) -> list[LessonRecurrence]:
    """Record the recurrences the submitted lesson `lesson_id` reveals; [] when none."""
    new = s.get(Document, lesson_id)
    if new is None or new.type != "lesson" or new.status == "merged":
        return []
    if new.polarity == "success":
        return []  # a success that applied an old lesson is no recurrence of its problem
    found = []
    for match in similar_lessons(s, index, new, SYSTEM, statuses=DEALT_WITH, threshold=THRESHOLD):
        older = match.doc
        if older.project_key == new.project_key or older.polarity == "success":
            continue
        shared = set(older.tags) & set(new.tags) or set(older.topics) & set(new.topics)
        if match.score < SURE and not shared:
            continue  # reopening is disruptive: a middling score needs a tag or topic in common
        exists = s.scalar(
            select(LessonRecurrence.id).where(
                LessonRecurrence.lesson_id == older.id, LessonRecurrence.recurred_in_id == new.id
            )
        )
        if exists is not None:
            continue
        older = s.get(Document, older.id, with_for_update=True)
        if older.status not in DEALT_WITH:
            continue
        row = LessonRecurrence(
            lesson_id=older.id, recurred_in_id=new.id, score=match.score, event_seq=event_seq
        )
        s.add(row)
        s.flush()
        # the older lesson's readers may not all read the new one: its name is shown only to
        # those who may (kb.documents.references)
        apply_transition(
            s,
            older,
            "reopened",
            actor="kb",
            reason=f"The problem recurred in {new.id} ({new.project_key or 'no project'}): "
            f"{new.title}",
            refers_to=new.id,
            public_reason=f"The problem recurred in {references.HIDDEN}",
        )
        count = recurrence_count(s, older.id)
        append_event(
            s,
            LessonRecurred(
                id=older.id,
                title=older.title,
                project=older.project_key,
                recurred_in=new.id,
                recurred_in_title=new.title,
                recurred_in_project=new.project_key,
                refers_to=new.id,
                recurrence_count=count,
                score=match.score,
            ),
        )
        log.info("%s recurred in %s (score %.2f)", older.id, new.id, match.score)
        found.append(row)
    return found


def recurrence_count(s: Session, lesson_id: str) -> int:
    query = select(func.count()).where(LessonRecurrence.lesson_id == lesson_id)
    return s.scalar(query) or 0


@dataclass
class Recurrence:
    """One recurrence as seen from a lesson: `direction` is "recurred_in" (this lesson's
    problem came back in `other`) or "recurrence_of" (this lesson is a recurrence of it)."""

    direction: str
    other: Document
    score: float
    detected_at: datetime


#: a lesson's recurrences both ways, oldest first (built once: every lesson page asks; read
#: as plain rows, which cost half as much as making LessonRecurrence objects of them)
BOTH_WAYS = (
    select(
        LessonRecurrence.lesson_id,
        LessonRecurrence.recurred_in_id,
        LessonRecurrence.score,
        LessonRecurrence.detected_at,
    )
    .where(
        or_(
            LessonRecurrence.lesson_id == bindparam("lesson_id"),
            LessonRecurrence.recurred_in_id == bindparam("lesson_id"),
        )
    )
    .order_by(LessonRecurrence.detected_at, LessonRecurrence.id)
)


def recurrences(db: Database, lesson_id: str, viewer: Viewer) -> tuple[int, list[Recurrence]]:
    """The recurrence count of `lesson_id` and its recurrences both ways, the other lesson
    only when `viewer` may read it (the count is the lesson's own figure)."""
    with db.read() as s:
        rows = s.connection().execute(BOTH_WAYS, {"lesson_id": lesson_id}).all()
        count = sum(row.lesson_id == lesson_id for row in rows)  # recurrence_count's rows
        out = []
        for row in rows:
            older = row.lesson_id == lesson_id
            other = s.get(Document, row.recurred_in_id if older else row.lesson_id)
            if other is None or not access.can_read(viewer, other):
                continue
            direction = "recurred_in" if older else "recurrence_of"
            out.append(Recurrence(direction, other, row.score, row.detected_at))
    return count, out


def may_see_similar(viewer: Viewer, doc: Document) -> bool:
    """Possible duplicates are for the lesson's author and the curators."""
    if viewer.has_role("curator"):
        return True
    return viewer.username is not None and doc.created_by == viewer.username


def find_similar(
    db: Database, index: SearchIndex | None, doc: Document, viewer: Viewer
) -> list[Similar]:
    """Lessons like `doc` that `viewer` may read, best first ([] for who may not ask)."""
    if doc.type != "lesson" or not may_see_similar(viewer, doc):
        return []
    with db.read() as s:
        return similar_lessons(s, index, s.get(Document, doc.id), viewer)
