"""What ingest refuses, by kind: each names its HTTP status and code (kb.errors)."""

from __future__ import annotations

from kb.core.errors import KbError, TooLarge


class InvalidEvent(KbError, code="invalid_event"):
    """Not a CloudEvent kb takes; the message names the attribute."""


class UnsupportedMediaType(KbError, status=415, code="unsupported_media_type"):
    """Neither structured nor binary CloudEvents JSON."""


class EventTooLarge(TooLarge, code="event_too_large"):
    """An event over the ingest limit."""
