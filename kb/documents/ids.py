"""Ids of new documents: named counters (LL-2026 -> 42), moved atomically, never read then
written (that loses updates under load)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from kb.documents.kinds import BY_NAME
from kb.documents.models import Document
from kb.documents.records import Record


def _counter_name(record: Record) -> tuple[str, str]:
    prefix = BY_NAME[record.type].id_prefix
    if record.type == "lesson":
        year = (record.columns.get("occurred_on") or date.today()).year
        return f"{prefix}-{year}", f"{prefix}-{year}-{{:04d}}"
    return prefix, prefix + "-{:04d}"


_BUMP = text(
    "INSERT INTO counters (name, value) VALUES (:name, :at_least) "
    "ON CONFLICT (name) DO UPDATE SET value = CASE WHEN counters.value + 1 > :at_least "
    "THEN counters.value + 1 ELSE :at_least END RETURNING value"
)
_RAISE = text(
    "INSERT INTO counters (name, value) VALUES (:name, :at_least) "
    "ON CONFLICT (name) DO UPDATE SET value = CASE WHEN counters.value > :at_least "
    "THEN counters.value ELSE :at_least END"
)


def bump_counter(s: Session, name: str) -> int:
    """The next value of counter `name` (also used for ids that are not documents': LP-)."""
    return s.execute(_BUMP, {"name": name, "at_least": 1}).scalar_one()


def reserve_counter(s: Session, name: str, number: int) -> None:
    """Counter `name` never hands out `number` or less again (an explicit id was imported)."""
    s.execute(_RAISE, {"name": name, "at_least": number})


def next_id(s: Session, record: Record) -> str:
    """Atomic counter increment (never read-then-write: that loses updates under load)."""
    name, pattern = _counter_name(record)
    while True:
        value = bump_counter(s, name)
        candidate = pattern.format(value)
        if s.get(Document, candidate) is None:
            return candidate


def _reserve_id(s: Session, doc_id: str) -> None:
    """An explicit id (import) moves its counter past it so kb never hands it out again."""
    name, number = doc_id.rsplit("-", 1)
    reserve_counter(s, name, int(number))
