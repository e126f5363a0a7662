"""What a dashboard figure is, and the filters every figure is computed for.

A figure is generic — series by month, headline totals, tables — so that the page, its SVG
charts, the CSV downloads and `GET /api/dashboard` all show the same numbers from one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session

from kb.core.errors import ValidationError
from kb.core.time import add_months
from kb.db import Database
from kb.documents.models import Document, DocumentLabel, DocumentRevision
from kb.documents.records import as_day
from kb.documents.vocabulary import TOPICS
from kb.markdown import frontmatter
from kb.projects.models import Project
from kb.readmodels.figure_text import ABOUT

#: the longest period one dashboard shows, in months
MAX_MONTHS = 36
#: the period shown when none is asked for: this month and the eleven before it
DEFAULT_MONTHS = 12
#: the years a period may name (a month after 9998 has no month after it)
FIRST_YEAR, LAST_YEAR = 1970, 9998
FILTER_NAMES = ("portfolio", "period", "topic", "project")


@dataclass(frozen=True)
class Filters:
    """What the dashboard looks at: the months `first` to `last` (first days), and at most one
    portfolio, topic and project."""

    first: date
    last: date
    portfolio: str | None = None
    topic: str | None = None
    project: str | None = None

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, datetime.min.time(), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(add_months(self.last, 1), datetime.min.time(), tzinfo=UTC)

    @property
    def months(self) -> list[str]:
        found, month = [], self.first
        while month <= self.last:
            found.append(f"{month:%Y-%m}")
            month = add_months(month, 1)
        return found

    def query_args(self) -> dict[str, str]:
        """The filters as query parameters (for links and CSV URLs)."""
        args = {"since": f"{self.first:%Y-%m}", "until": f"{self.last:%Y-%m}"}
        for name in ("portfolio", "topic", "project"):
            if value := getattr(self, name):
                args[name] = value
        return args


def parse_month(value: str, name: str) -> date:
    message = f"{name} must be a month written YYYY-MM, e.g. 2026-03."
    try:
        month = datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise ValidationError(message, field=name) from None
    if not FIRST_YEAR <= month.year <= LAST_YEAR:
        raise ValidationError(f"{message[:-1]}, from {FIRST_YEAR} to {LAST_YEAR}.", field=name)
    return month


def filters_of(
    today: date,
    *,
    since: str | None = None,
    until: str | None = None,
    portfolio: str | None = None,
    topic: str | None = None,
    project: str | None = None,
) -> Filters:
    """Filters from request parameters; a bad month or a period too long is a 400."""
    last = parse_month(until, "until") if until else today.replace(day=1)
    first = parse_month(since, "since") if since else add_months(last, 1 - DEFAULT_MONTHS)
    if first > last:
        raise ValidationError("since must not be after until.", field="since")
    if add_months(first, MAX_MONTHS) <= last:
        raise ValidationError(f"The period is at most {MAX_MONTHS} months.", field="since")

    def clean(value: str | None) -> str | None:
        return (value or "").strip() or None

    topic = (clean(topic) or "").lower() or None
    if topic is not None and topic not in TOPICS:
        raise ValidationError(f"There is no topic `{topic[:40]}`.", field="topic")
    key = clean(project)
    return Filters(
        first,
        last,
        portfolio=(clean(portfolio) or "")[:120] or None,
        topic=topic,
        project=key.upper()[:32] if key else None,
    )


def month_of(moment: date | datetime) -> str:
    return f"{moment:%Y-%m}"


@dataclass(frozen=True)
class Series:
    key: str
    label: str


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    value: float | None


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[str | int | float | None]]


@dataclass
class Figure:
    key: str
    title: str
    #: what the figure counts and how, in one or two sentences (the chart's description)
    description: str
    series: list[Series]
    months: list[str]
    #: per month, one value per series (None: nothing to measure that month)
    values: list[list[float | None]]
    totals: list[Measure]
    tables: list[Table] = field(default_factory=list)
    #: the filters this figure follows (searches know no project or topic)
    applies: tuple[str, ...] = FILTER_NAMES

    def total(self, key: str) -> float | None:
        return next(m.value for m in self.totals if m.key == key)


def trend(months: list[str], series: list[Series], counts: dict[str, dict[str, float]]):  # noqa: ANN201
    """values[month][series] from {series key: {month: value}}; a missing count is 0."""
    return [[counts.get(s.key, {}).get(m, 0) for s in series] for m in months]


def figure_of(
    key: str,
    filters: Filters,
    values: list[list[float | None]],
    totals: list[float | None],
    tables: list[Table] | None = None,
    **extra,
) -> Figure:
    """The figure `key` (its words from kb.readmodels.figure_text) with its numbers."""
    about = ABOUT[key]
    series = [Series(k, label) for k, label in about.series]
    measures = [Measure(k, label, v) for (k, label), v in zip(about.totals, totals, strict=True)]
    return Figure(
        key,
        about.title,
        about.description,
        series,
        filters.months,
        values,
        measures,
        tables or [],
        **extra,
    )


def monthly(
    key: str,
    filters: Filters,
    counts: dict[str, dict[str, float]],
    totals: list[float | None],
    tables: list[Table] | None = None,
    **extra,
) -> Figure:
    """A figure whose trend counts things by month: {series key: {month: count}}."""
    series = [Series(k, label) for k, label in ABOUT[key].series]
    values = trend(filters.months, series, counts)
    return figure_of(key, filters, values, totals, tables, **extra)


def month_bounds(filters: Filters) -> list[tuple[str, datetime, datetime]]:
    """(YYYY-MM, its first moment, the first moment after it) for each month of the period."""
    found = []
    for month in filters.months:
        first = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
        found.append((month, first, datetime.combine(add_months(first.date(), 1), time(), UTC)))
    return found


def count_by_month(s: Session, filters: Filters, column, *where) -> dict[str, int]:  # noqa: ANN001
    """How many rows have `column` (a moment) in each month of the period: one scan summed by
    the database, with the month's bounds as moments (no time zone conversion in SQL)."""
    bounds = month_bounds(filters)
    sums = [
        func.coalesce(func.sum(case((and_(column >= a, column < b), 1), else_=0)), 0)
        for _, a, b in bounds
    ]
    row = s.execute(
        select(*sums).where(column >= filters.start, column < filters.end, *where)
    ).one()
    return {month: int(n) for (month, _, _), n in zip(bounds, row, strict=True)}


def share(part: int, whole: int) -> float | None:
    """A percentage with one decimal; None when there is nothing to divide."""
    return round(100 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class LessonInfo:
    project: str | None
    phase: str | None
    title: str


def scope_conditions(filters: Filters, doc_type: str) -> list:
    """Conditions on Document keeping those of `doc_type` the project, portfolio and topic
    filters keep."""
    conditions = [Document.type == doc_type, *project_conditions(filters, Document.project_key)]
    if filters.topic:
        conditions.append(
            exists().where(
                DocumentLabel.document_id == Document.id,
                DocumentLabel.kind == "topic",
                DocumentLabel.value == filters.topic,
            )
        )
    return conditions


def scoped_documents(db: Database, filters: Filters, doc_type: str) -> dict[str, LessonInfo]:
    """The documents of `doc_type` the filters keep: id -> info."""
    query = select(Document.id, Document.project_key, Document.phase, Document.title)
    with db.read() as s:
        rows = s.execute(query.where(*scope_conditions(filters, doc_type)))
        return {i: LessonInfo(p, ph, t) for i, p, ph, t in rows}


#: how kb.documents.transfer names the revision a file's import stored
IMPORTED = "Imported from %"


def written_on(db: Database, lessons: dict[str, LessonInfo]) -> dict[str, date]:
    """The day each lesson imported from a file was written, as the file said: the
    `updated:` day of the revision kb first stored (docs/format.md#dates), else the day it
    occurred. Lessons written in kb, and files that gave no day, are not here."""
    query = (
        select(DocumentRevision.document_id, DocumentRevision.markdown, Document.occurred_on)
        .join(Document, Document.id == DocumentRevision.document_id)
        .where(
            Document.type == "lesson",
            DocumentRevision.number == 1,
            DocumentRevision.message.like(IMPORTED),
        )
    )
    found = {}
    with db.read() as s:
        for doc_id, markdown, occurred_on in s.execute(query):
            if doc_id in lessons and (day := _updated_day(markdown) or occurred_on):
                found[doc_id] = day
    return found


def _updated_day(markdown: str) -> date | None:
    try:  # a stored revision parsed once; kept safe all the same
        return as_day(frontmatter.split(markdown)[0].get("updated"))
    except (ValidationError, ValueError):
        return None


def project_conditions(filters: Filters, column) -> list:  # noqa: ANN001
    """Conditions on a project-key column for the project and portfolio filters."""
    conditions = []
    if filters.project:
        conditions.append(column == filters.project)
    if filters.portfolio:
        conditions.append(
            column.in_(select(Project.key).where(Project.portfolio == filters.portfolio))
        )
    return conditions
