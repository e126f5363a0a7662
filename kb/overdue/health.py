"""A process model's review cycle: its next review and its health.

The next review is `last_reviewed` + `review_period_months` (default 12), by calendar months:
31 January + 1 month is the last day of February (28th, or 29th in a leap year). Health on the
day `today` (the UTC day, as the worker's sweep decides it):
- red: the next review has passed (overdue);
- amber: it is due within 30 days (today included);
- green: later than that;
- none: a retired model, or one never reviewed (there is no date to be late against).

While a model stays red, each review period it stays overdue is a new period: the sweep tells
its owner and custodian once per period (`overdue_period`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from kb.core.time import add_months, as_utc
from kb.db import Database
from kb.documents.models import Document

#: process models whose review matters: every one but the retired
REVIEWED_STATUSES = ("draft", "in_review", "approved", "published")
DEFAULT_PERIOD = 12
GREEN, AMBER, RED = "green", "amber", "red"
HEALTHS = (GREEN, AMBER, RED)
#: amber: due within this many days
AMBER_DAYS = 30
#: the list filter's choices
LABELS = {GREEN: "Review on time", AMBER: "Review due soon", RED: "Review overdue"}


@dataclass(frozen=True)
class Health:
    """`level` None: no health (retired, or never reviewed); `due`: the next review."""

    level: str | None
    due: date | None


def day_of_moment(now: datetime) -> date:
    """The UTC day of an aware moment, whatever its offset (23:30 at -05:00 is tomorrow)."""
    return as_utc(now).date()


def period_of(doc: Document) -> int:
    return doc.review_period_months or DEFAULT_PERIOD


def next_review(doc: Document) -> date | None:
    """A process model is due for review `review_period_months` after its last review (None
    when it was never reviewed: there is no date to be late against)."""
    if doc.type != "process" or doc.last_reviewed is None:
        return None
    return add_months(doc.last_reviewed, period_of(doc))


def level_on(due: date, today: date) -> str:
    if due < today:
        return RED
    return AMBER if due <= today + timedelta(days=AMBER_DAYS) else GREEN


def review_health(doc: Document, today: date) -> Health:
    due = next_review(doc)
    if due is None or doc.status not in REVIEWED_STATUSES:
        return Health(None, due)
    return Health(level_on(due, today), due)


def process_overdue(doc: Document, today: date) -> bool:
    return review_health(doc, today).level == RED


def overdue_period(last_reviewed: date, months: int, today: date) -> date:
    """For a model overdue on `today`: the start of the review period it is overdue in — its
    due date in the first period, then every `months` after (counted from `last_reviewed`, so
    31 January with 1 month gives 28/29 February, 31 March, 30 April …)."""
    elapsed = (today.year - last_reviewed.year) * 12 + today.month - last_reviewed.month
    k = max(1, elapsed // months)
    while k > 1 and add_months(last_reviewed, k * months) >= today:
        k -= 1
    while add_months(last_reviewed, (k + 1) * months) < today:
        k += 1
    return add_months(last_reviewed, k * months)


def health_ids(db: Database, level: str, today: date) -> list[str]:
    """Ids of the process models of one health (the list's `health` filter)."""
    query = select(Document.id, Document.last_reviewed, Document.review_period_months).where(
        Document.type == "process",
        Document.status.in_(REVIEWED_STATUSES),
        Document.last_reviewed.is_not(None),
    )
    with db.read() as s:
        rows = s.execute(query).all()
    return sorted(
        doc_id
        for doc_id, last, months in rows
        if level_on(add_months(last, months or DEFAULT_PERIOD), today) == level
    )
