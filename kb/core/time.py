"""One clock for the whole application: aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def iso(value: date | datetime | None) -> str | None:
    """RFC 3339 for JSON: a moment in UTC with its offset, a date as YYYY-MM-DD, None as None."""
    if value is None:
        return None
    return as_utc(value).isoformat() if isinstance(value, datetime) else value.isoformat()


def stamp(moment: datetime) -> str:
    """A moment as people read it in logs and messages: 2026-11-21 23:54:27 UTC."""
    return f"{as_utc(moment):%Y-%m-%d %H:%M:%S} UTC"


def day_of(value: object) -> date | None:
    """The date of an RFC 3339 date or timestamp from an event ("2026-10-02T16:00:00Z"), or
    None when there is none or it cannot be read."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError:
        return None
