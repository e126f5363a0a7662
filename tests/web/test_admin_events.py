"""The event log pages: list with filters, one event with its runs, retry of a dead letter."""

from __future__ import annotations

import uuid

from kb.core.time import utcnow
from kb.events.jobs.models import HandlerRun
from kb.events.log.models import Event
from kb.events.log.services import lock_log


def dead_event(kb) -> int:
    with kb.db.write() as s:
        lock_log(s)
        event = Event(
            source="urn:test",
            event_id=str(uuid.uuid4()),
            type="org.test.failed",
            time=utcnow(),
            data={"why": "<script>alert(1)</script>"},
        )
        s.add(event)
        s.flush()
        s.add(
            HandlerRun(
                event_seq=event.seq,
                handler="gone",
                status="dead",
                attempts=8,
                next_attempt_at=utcnow(),
                last_error="ConnectionError: refused",
            )
        )
        return event.seq


def test_event_log_lists_filters_and_retries(client, kb, lesson_md, assert_inert):
    client.post("/api/lessons", json={"markdown": lesson_md()})
    seq = dead_event(kb)
    page = client.get("/admin/events")
    assert page.status_code == 200 and b"org.pmo.kb.lesson.created" in page.data
    dead = client.get("/admin/events?status=dead").get_data(as_text=True)
    assert "org.test.failed" in dead and "lesson.created" not in dead
    one = client.get(f"/admin/events/{seq}")
    text = one.get_data(as_text=True)
    assert "ConnectionError: refused" in text and "Retry" in text
    assert_inert(text)  # event data is shown escaped
    retried = client.post(f"/admin/events/{seq}/retry", headers={"Sec-Fetch-Site": "same-origin"})
    assert retried.status_code == 303
    with kb.db.read() as s:
        run = s.query(HandlerRun).filter_by(event_seq=seq).one()
    assert (run.status, run.attempts) == ("pending", 0)
    assert client.get("/admin/events/999999").status_code == 404
    assert client.get("/admin/events?status=bogus").status_code == 400


def test_event_log_api(client, kb, lesson_md):
    client.post("/api/lessons", json={"markdown": lesson_md()})
    listed = client.get("/api/events?type=org.pmo.kb.lesson.created").json["events"]
    assert [e["type"] for e in listed] == ["org.pmo.kb.lesson.created"]
    assert listed[0]["status"] == "none" and listed[0]["data"]["id"] == "LL-2025-0001"
    assert client.get(f"/api/events/{listed[0]['seq']}").json["seq"] == listed[0]["seq"]
    assert client.get("/api/events?status=nope").status_code == 400
