"""The dashboard's figures about a lesson's course: captured, published, reviewed, actioned,
recurred, briefed — from the event log (when it happened) and the tables (what is so now)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from statistics import median

from sqlalchemy import select

from kb.actions.models import Action
from kb.briefings.models import Briefing, BriefingItem
from kb.core.time import as_utc
from kb.db import Database
from kb.events.kinds import KB_SOURCE
from kb.events.kinds.documents import (
    LessonActioned,
    LessonCreated,
    LessonPublished,
    LessonSubmitted,
    LessonVerified,
)
from kb.events.log.models import Event
from kb.projects.models import Project
from kb.readmodels.figure import (
    Figure,
    Filters,
    LessonInfo,
    Table,
    figure_of,
    month_of,
    monthly,
    project_conditions,
    scoped_documents,
    share,
    written_on,
)
from kb.recurrence.models import LessonRecurrence
from kb.reviews.models import Review

TOP = 10
#: a project is closed when its tool said so: completed, or cancelled / terminated
CLOSED = ("closed", "cancelled")
ANSWERED_WELL = ("applies", "action_taken")
NOT_TOPIC = ("portfolio", "period", "project")


def lesson_events(
    db: Database, filters: Filters, lessons: dict[str, LessonInfo], *kinds: type
) -> list[tuple[str, str, datetime]]:
    """(lesson id, type, time) of kb's events of `kinds` about the lessons in scope, up to
    the end of the period, in log order."""
    types = {k.full_type(): k.TYPE for k in kinds}
    query = (
        select(Event.subject, Event.type, Event.time)
        .where(Event.source == KB_SOURCE, Event.type.in_(types), Event.time < filters.end)
        .order_by(Event.seq)
    )
    with db.read() as s:
        rows = s.execute(query).all()
    found = []
    for subject, full, moment in rows:
        lesson_id = (subject or "").removeprefix("lessons/")
        if lesson_id in lessons:
            found.append((lesson_id, types[full], as_utc(moment)))
    return found


def within(filters: Filters, moment: datetime | date | None) -> bool:
    if moment is None:
        return False
    if isinstance(moment, datetime):
        return filters.start <= as_utc(moment) < filters.end
    return filters.first <= moment < filters.end.date()


def ranked(counts: Counter, label: str | None = None) -> list[list]:
    """[value, count] rows, most first (ties by value); None shown as `label`."""
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return [[key if key is not None else label, n] for key, n in rows]


def captured(db: Database, filters: Filters, lessons: dict[str, LessonInfo]) -> Figure:
    """Lessons by the day they were written: in kb, their lesson.created event; imported
    from a file, the day the file gave (kb.readmodels.figure.written_on)."""
    own = written_on(db, lessons)
    events = lesson_events(db, filters, lessons, LessonCreated)
    days: dict[str, date | datetime] = {i: t for i, _, t in events} | own
    ids = [i for i, t in days.items() if within(filters, t)]
    by_month = Counter(month_of(days[i]) for i in ids)
    return monthly(
        "captured",
        filters,
        {"captured": by_month},
        [len(ids)],
        [
            Table(
                "per_project",
                "Per project",
                ["Project", "Lessons"],
                ranked(Counter(lessons[i].project for i in ids), "(none)"),
            ),
            Table(
                "per_phase",
                "Per phase",
                ["Phase", "Lessons"],
                ranked(Counter(lessons[i].phase for i in ids), "(none)"),
            ),
        ],
    )


def publication(db: Database, filters: Filters, lessons: dict[str, LessonInfo]) -> Figure:
    """Days from a lesson's (last) submission to its publication, for publications in the period."""
    submitted: dict[str, datetime] = {}
    waits: dict[str, list[float]] = defaultdict(list)
    for lesson_id, kind, moment in lesson_events(
        db, filters, lessons, LessonSubmitted, LessonPublished
    ):
        if kind == LessonSubmitted.TYPE:
            submitted[lesson_id] = moment
        elif lesson_id in submitted and within(filters, moment):
            days = (moment - submitted[lesson_id]).total_seconds() / 86400
            waits[month_of(moment)].append(days)
    every = [d for month in waits.values() for d in month]
    medians = {m: round(median(d), 1) for m, d in waits.items()}
    longest = round(max(every), 1) if every else None
    return figure_of(
        "publication",
        filters,
        [[medians.get(m)] for m in filters.months],
        [len(every), round(median(every), 1) if every else None, longest],
    )


def reviews(db: Database, filters: Filters, today: date) -> Figure:
    """Closed projects (closed in the period) with a completed lessons review; reviews
    overdue today."""
    with db.read() as s:
        closed = s.execute(
            select(Project.key, Project.closed_on).where(
                Project.status.in_(CLOSED),
                Project.closed_on.is_not(None),
                *project_conditions(filters, Project.key),
            )
        ).all()
        completed = set(s.scalars(select(Review.project_key).where(Review.status == "completed")))
        overdue = s.execute(
            select(Review.project_key, Review.due_on)
            .where(
                Review.status == "open",
                Review.due_on < today,
                *project_conditions(filters, Review.project_key),
            )
            .order_by(Review.due_on, Review.project_key)
        ).all()
    closed = [(k, on) for k, on in closed if within(filters, on)]
    done = [k for k, _ in closed if k in completed]
    counts = {
        "closed": Counter(month_of(on) for _, on in closed),
        "reviewed": Counter(month_of(on) for k, on in closed if k in completed),
    }
    return monthly(
        "reviews",
        filters,
        counts,
        [len(closed), len(done), share(len(done), len(closed)), len(overdue)],
        [
            Table(
                "overdue",
                "Reviews overdue",
                ["Project", "Due on", "Days overdue"],
                [[k, due.isoformat(), (today - due).days] for k, due in overdue],
            )
        ],
        applies=NOT_TOPIC,
    )


def on_time(action: Action) -> bool:
    return action.due_on is None or as_utc(action.closed_at).date() <= action.due_on


def actions(db: Database, filters: Filters, lessons: dict[str, LessonInfo], today: date) -> Figure:
    """Actions of the lessons in scope (not the recorded "no action" rationales)."""
    with db.read() as s:
        found = [
            a
            for a in s.scalars(select(Action).where(Action.target_kind != "none"))
            if a.lesson_id in lessons
        ]
    is_open = [a for a in found if a.status == "open"]
    overdue = [a for a in is_open if a.due_on is not None and a.due_on < today]
    closed = [a for a in found if a.status == "closed" and within(filters, a.closed_at)]
    timely = [a for a in closed if on_time(a)]
    counts = {
        "added": Counter(month_of(a.created_at) for a in found if within(filters, a.created_at)),
        "closed_on_time": Counter(month_of(a.closed_at) for a in timely),
        "closed_late": Counter(month_of(a.closed_at) for a in closed if not on_time(a)),
    }
    late = len(closed) - len(timely)
    return monthly(
        "actions",
        filters,
        counts,
        [len(is_open), len(overdue), len(timely), late, share(len(timely), len(closed))],
    )


def recurrence(db: Database, filters: Filters, lessons: dict[str, LessonInfo]) -> Figure:
    """Of the lessons actioned by the end of the period, the share whose problem came back."""
    actioned = {
        i for i, _, _ in lesson_events(db, filters, lessons, LessonActioned, LessonVerified)
    }
    with db.read() as s:
        rows = s.execute(
            select(LessonRecurrence.lesson_id, LessonRecurrence.detected_at).where(
                LessonRecurrence.detected_at < filters.end
            )
        ).all()
    rows = [(i, at) for i, at in rows if i in lessons]
    recurred = {i for i, _ in rows} & actioned
    in_period = [(i, at) for i, at in rows if within(filters, at)]
    top = Counter(i for i, _ in in_period).most_common()
    top = sorted(top, key=lambda kv: (-kv[1], kv[0]))[:TOP]
    return monthly(
        "recurrence",
        filters,
        {"recurrences": Counter(month_of(at) for _, at in in_period)},
        [len(actioned), len(recurred), share(len(recurred), len(actioned))],
        [
            Table(
                "top",
                "Top recurring problems",
                ["Lesson", "Title", "Project", "Recurrences"],
                [[i, lessons[i].title, lessons[i].project, n] for i, n in top],
            )
        ],
    )


def briefings(db: Database, filters: Filters) -> Figure:
    """Briefings of the projects in scope dated in the period, and how their lessons were
    answered. The topic filter keeps the briefed lessons of that topic (and the briefings
    that hold one)."""
    topical = (
        scoped_documents(db, Filters(filters.first, filters.last, topic=filters.topic), "lesson")
        if filters.topic
        else None
    )
    with db.read() as s:
        rows = s.execute(
            select(Briefing.id, Briefing.created_at, BriefingItem.lesson_id, BriefingItem.response)
            .join(BriefingItem, BriefingItem.briefing_id == Briefing.id, isouter=True)
            .where(
                Briefing.created_at >= filters.start,
                Briefing.created_at < filters.end,
                *project_conditions(filters, Briefing.project_key),
            )
        ).all()
    if topical is not None:
        rows = [r for r in rows if r.lesson_id in topical]
    sent = {r.id: month_of(as_utc(r.created_at)) for r in rows}
    items = [r for r in rows if r.lesson_id is not None]
    well = [r for r in items if r.response in ANSWERED_WELL]
    counts = {
        "briefings": Counter(sent.values()),
        "lessons": Counter(sent[r.id] for r in items),
        "applied": Counter(sent[r.id] for r in well),
    }
    answered = sum(1 for r in items if r.response)
    return monthly(
        "briefings",
        filters,
        counts,
        [len(sent), len(items), answered, len(well), share(len(well), len(items))],
    )
