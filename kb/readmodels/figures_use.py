"""The dashboard's figures about use: process models by health, onboarding paths, searches
(those with no result above all) and the most-read lessons."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import func, select

from kb.core.time import as_utc
from kb.db import Database
from kb.documents.models import Document
from kb.overdue.health import AMBER, HEALTHS, REVIEWED_STATUSES, next_review, review_health
from kb.paths.models import Enrolment
from kb.readmodels import figure
from kb.readmodels.figure import (
    Figure,
    Filters,
    LessonInfo,
    Table,
    month_of,
    monthly,
    scope_conditions,
)
from kb.readmodels.figures import TOP, ranked, within
from kb.usage.models import PageView, SearchRecord


def health(doc: Document, today: date) -> str:
    """A model in use by its review health (kb.overdue.health); never reviewed counts as
    amber here: the PMO should look at it."""
    return review_health(doc, today).level or AMBER


def process_health(db: Database, filters: Filters, today: date) -> Figure:
    """Process models in use (not retired) of the projects and topic in scope, by health
    today; the trend counts the reviews falling due each month."""
    in_use = Document.status.in_(REVIEWED_STATUSES)
    with db.read() as s:
        models = list(
            s.scalars(select(Document).where(*scope_conditions(filters, "process"), in_use))
        )
    due = {d.id: next_review(d) for d in models}
    states = {d.id: health(d, today) for d in models}
    count = Counter(states.values())
    falling = Counter(month_of(on) for on in due.values() if within(filters, on))
    order = {"red": 0, "amber": 1}
    unwell = sorted(
        (d for d in models if states[d.id] != "green"),
        key=lambda d: (order[states[d.id]], due[d.id] or date.min, d.id),
    )
    return monthly(
        "health",
        filters,
        {"falling_due": falling},
        [count.get(h, 0) for h in HEALTHS],
        [
            Table(
                "unwell",
                "Red and amber models",
                ["Model", "Title", "Health", "Next review"],
                [
                    [d.id, d.title, states[d.id], due[d.id].isoformat() if due[d.id] else None]
                    for d in unwell
                ],
            )
        ],
    )


def onboarding(db: Database, filters: Filters) -> Figure:
    """Onboarding paths started and completed each month (kb.paths: one enrolment per person
    and path, taken or assigned)."""
    with db.read() as s:
        rows = s.execute(select(Enrolment.started_at, Enrolment.completed_at)).all()
    started = [as_utc(a) for a, _ in rows if a is not None and within(filters, as_utc(a))]
    done = [as_utc(b) for _, b in rows if b is not None and within(filters, as_utc(b))]
    counts = {
        "started": Counter(month_of(t) for t in started),
        "completed": Counter(month_of(t) for t in done),
    }
    return monthly("onboarding", filters, counts, [len(started), len(done)], applies=("period",))


def searches(db: Database, filters: Filters) -> Figure:
    """Searches made in the period, and the queries that found nothing (counted, so that
    curators can write what people look for). kb never records who searched."""
    at = SearchRecord.searched_at
    with db.read() as s:  # counted by the database: a year of searches is many rows
        counts = {
            "searches": figure.count_by_month(s, filters, at),
            "zero": figure.count_by_month(s, filters, at, SearchRecord.results == 0),
        }
        empty = s.execute(
            select(func.lower(SearchRecord.query), func.count(), func.max(at))
            .where(at >= filters.start, at < filters.end, SearchRecord.results == 0)
            .group_by(func.lower(SearchRecord.query))
        ).all()
    searched, zero = sum(counts["searches"].values()), sum(counts["zero"].values())
    queries = sorted(empty, key=lambda r: (-r[1], r[0]))
    return monthly(
        "searches",
        filters,
        counts,
        [searched, zero, figure.share(zero, searched)],
        [
            Table(
                "zero_queries",
                "Queries with no result",
                ["Query", "Times", "Last searched"],
                [[q, n, as_utc(last).date().isoformat()] for q, n, last in queries[: TOP * 5]],
            )
        ],
        applies=("period",),
    )


def reading(db: Database, filters: Filters, lessons: dict[str, LessonInfo]) -> Figure:
    """Page views of the lessons in scope (counted per document and day, never by whom)."""
    kept = (
        PageView.day >= filters.first,
        PageView.day < filters.end.date(),
        *scope_conditions(filters, "lesson"),
    )

    def summed(column):  # noqa: ANN001, ANN202
        query = select(column, func.sum(PageView.views)).join(
            Document, Document.id == PageView.document_id
        )
        return s.execute(query.where(*kept).group_by(column)).all()

    with db.read() as s:  # summed by the database: a year of views is many rows
        per_day = summed(PageView.day)
        per_lesson = Counter(dict(summed(PageView.document_id)))
    per_month: Counter = Counter()
    for day, n in per_day:
        per_month[month_of(day)] += n
    top = ranked(per_lesson)[:TOP]
    return monthly(
        "reading",
        filters,
        {"views": per_month},
        [sum(per_lesson.values()), len(per_lesson)],
        [
            Table(
                "most_read",
                "Most-read lessons",
                ["Lesson", "Title", "Project", "Views"],
                [[i, lessons[i].title, lessons[i].project, n] for i, n in top],
            )
        ],
    )
