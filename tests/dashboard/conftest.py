"""An injected clock for the dashboard's history: kb.core.time reads the moment from it, so the
events, actions, reviews and usage records the services write are dated where the test says."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kb.core import time as kb_time
from kb.events.log.services import lock_log
from tests.reviews.conftest import inbound


class Moment(datetime):
    """datetime whose now() is the test's clock (only kb.core.time sees this class)."""

    current: datetime = datetime(2026, 1, 1, tzinfo=UTC)

    @classmethod
    def now(cls, tz=None):  # noqa: ANN001, ANN206
        return cls.current if tz is None else cls.current.astimezone(tz)


class Clock:
    """at("2026-01-12 09:00"): from then on kb's clock (and its worker's) reads that moment."""

    def __call__(self, moment: str) -> datetime:
        Moment.current = datetime.fromisoformat(moment).replace(tzinfo=UTC)
        return Moment.current

    @property
    def today(self) -> date:
        return Moment.current.date()


@pytest.fixture
def at(kb, monkeypatch) -> Clock:
    monkeypatch.setattr(kb_time, "datetime", Moment)
    kb.worker.clock = lambda: Moment.current
    return Clock()


@pytest.fixture
def post(kb):
    """post(type, data, key): store an inbound project event as /api/events does (dated by the
    clock) and run the worker: the register, the review, the briefing follow."""

    def post(type_: str, data: dict, key: str) -> None:
        with kb.db.write() as s:
            lock_log(s)
            s.add(inbound(type_, data, key))
        kb.projection.catch_up()
        kb.worker.run_pending()

    return post
