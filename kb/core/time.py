"""One clock for the whole application: aware UTC datetimes."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta, timezone

RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:([Zz])|([+-])(\d\d):(\d\d))"
)


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


def add_months(start: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has fewer days)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


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


def parse_timestamp(value: str) -> datetime | None:
    """An RFC 3339 date-time as an aware UTC datetime, or None when it is not one.

    Fractions beyond microseconds are cut; a leap second (:60) becomes :59; -00:00 is UTC.
    """
    m = RFC3339.fullmatch(value)
    if not m:
        return None
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
    if m.group(8):
        tz = UTC
    else:
        oh, om = int(m.group(10)), int(m.group(11))
        if oh > 23 or om > 59:
            return None
        offset = timedelta(hours=oh, minutes=om)
        tz = timezone(-offset if m.group(9) == "-" else offset)
    try:
        moment = datetime(year, month, day, hour, minute, min(second, 59), micro, tzinfo=tz)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):  # 9999-12-31T23:00:00-02:00 overflows in UTC
        return None
