"""Reading what POST /api/events stored, and its error answers, for the ingest tests."""

from __future__ import annotations

from sqlalchemy import func, select

from kb.events.log.models import Event

BATCH = "application/cloudevents-batch+json"


def stored(kb) -> list[Event]:
    with kb.db.read() as s:
        return list(s.scalars(select(Event).order_by(Event.seq)))


def count(kb) -> int:
    with kb.db.read() as s:
        return s.scalar(select(func.count()).select_from(Event))


def assert_error(response, status: int, code: str | None = None) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.json["error"]
    assert set(error) >= {"code", "message"}
    if code:
        assert error["code"] == code
    return error["message"]
