"""One clock for the whole application: aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def stamp(moment: datetime) -> str:
    """A moment as people read it in logs and messages: 2026-11-21 23:54:27 UTC."""
    return f"{as_utc(moment):%Y-%m-%d %H:%M:%S} UTC"
