"""`project.started` and `project.stagegate.passed` brief the project manager with the lessons
they may read (and why each); a replayed event changes nothing; answers are recorded."""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from kb.accounts import services as accounts
from kb.briefings import services as briefings
from kb.briefings.models import Briefing, BriefingItem
from kb.core.time import utcnow
from kb.events.log.models import Event
from kb.events.log.services import lock_log

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def quiet_clock(kb):
    """No review sweeps to worry about: pin the worker's clock."""
    kb.worker.clock = lambda: datetime(2026, 10, 5, tzinfo=UTC)


def started_event(key: str = "HARBOUR", **data) -> Event:
    payload = {
        "project": {
            "projectId": key,
            "name": "Harbour warehouse system",
            "description": "Data migration from the old warehouse system; a vendor "
            'delivers the interface (OR NOT "x" tags:evil*).',
        },
        "actualStart": "2026-10-01",
        "managerEmail": "Maria.Lopez@example.org",
        "tags": ["vendor", "interface-spec"],
        "methodology": "hybrid",
    }
    payload.update(data)
    return Event(
        source="urn:pmo:test",
        event_id=str(uuid.uuid4()),
        type="org.pmo.project.started",
        time=utcnow(),
        data=payload,
        partition_key=key,
    )


def gate_event(key: str = "HARBOUR") -> Event:
    payload = {
        "project": {"projectId": key, "name": "Harbour warehouse system"},
        "gate": {"id": "G2", "name": "Design approved", "sequence": 2},
        "decision": "go",
        "decidedAt": "2026-12-01T10:00:00Z",
        "nextStage": "build",
    }
    return Event(
        source="urn:pmo:test",
        event_id=str(uuid.uuid4()),
        type="org.pmo.project.stagegate.passed",
        time=utcnow(),
        data=payload,
        partition_key=key,
    )


def post(kb, *events: Event) -> None:
    with kb.db.write() as s:
        lock_log(s)
        s.add_all(events)
    kb.worker.run_pending()


def recommended(kb) -> list[Event]:
    with kb.db.read() as s:
        return list(
            s.scalars(
                select(Event)
                .where(Event.type == "org.pmo.kb.lessons.recommended")
                .order_by(Event.seq)
            )
        )


def counts(kb) -> tuple[int, int, int]:
    with kb.db.read() as s:
        return (
            s.scalar(select(func.count()).select_from(Briefing)),
            s.scalar(select(func.count()).select_from(BriefingItem)),
            len(recommended(kb)),
        )


@pytest.fixture
def lessons(kb, make_lesson):
    maria = accounts.create_user(
        kb.db,
        "maria",
        password=PASSWORD,
        role="reader",
        email="maria.lopez@example.org",
        groups=["pmo"],
    )
    ids = {
        "tags": make_lesson(
            "Vendor interface specification arrived late",
            tags="[vendor, interface-spec]",
            phase="build",
        ).id,
        "migration": make_lesson(
            "Data migration dry runs found bad master data",
            tags="[migration]",
            topics="[technical]",
            phase="deployment",
        ).id,
        "pmo_only": make_lesson(
            "Vendor penalty clause negotiated with the PMO",
            tags="[vendor]",
            visibility="restricted",
            groups="[pmo]",
        ).id,
        "secret": make_lesson(
            "Vendor interface dispute settled in court",
            tags="[vendor, interface-spec]",
            visibility="restricted",
            groups="[legal]",
        ).id,
        "draft": make_lesson("Vendor interface draft", status="draft", tags="[vendor]").id,
        "unrelated": make_lesson(
            "Canteen menu feedback",
            tags="[catering]",
            topics="[quality]",
            body="## Summary\n\nLunch was cold.\n",
        ).id,
    }
    kb.projection.catch_up()
    return {"maria": maria, **ids}


def test_start_briefs_the_manager_with_what_they_may_read(kb, lessons):
    post(kb, started_event())
    [briefing] = briefings.list_briefings(kb.db, "harbour")
    assert (briefing.trigger, briefing.recipient, briefing.phase) == ("started", "maria", None)
    chosen = [i.lesson_id for i in briefing.items]
    assert lessons["tags"] in chosen and lessons["migration"] in chosen
    assert lessons["pmo_only"] in chosen  # maria is in the pmo group
    for never in ("secret", "draft", "unrelated"):
        assert lessons[never] not in chosen
    assert [i.rank for i in briefing.items] == list(range(1, len(chosen) + 1))
    reasons = {i.lesson_id: i.reason for i in briefing.items}
    assert "shares tags vendor, interface-spec" in reasons[lessons["tags"]]
    assert "matches 'data migration' in the project description" in reasons[lessons["migration"]]
    # the producer's text is only ever plain words: operators and syntax are gone
    assert all(re.fullmatch(r"[a-z0-9-]+", w) for w in briefing.words)
    assert "evil" in briefing.words and not {"or", "not"} & set(briefing.words)
    [event] = recommended(kb)
    assert event.subject == "projects/HARBOUR"
    assert event.data["briefing"] == briefing.id and event.data["trigger"] == "started"
    assert [x["id"] for x in event.data["lessons"]] == chosen
    assert all(x["title"] and x["reason"] for x in event.data["lessons"])


def test_no_matching_lesson_is_recorded_but_not_announced(kb, lessons):
    post(
        kb,
        started_event(
            project={"projectId": "ZED", "name": "Zzyzx"}, tags=["qqq"], methodology=None
        ),
    )
    [briefing] = briefings.list_briefings(kb.db, "ZED")
    assert briefing.items == [] and recommended(kb) == []


def test_unknown_manager_sees_only_internal_lessons(kb, lessons):
    post(kb, started_event(managerEmail="someone.else@example.org"))
    [briefing] = briefings.list_briefings(kb.db, "HARBOUR")
    chosen = [i.lesson_id for i in briefing.items]
    assert briefing.recipient == "someone.else@example.org"
    assert lessons["tags"] in chosen
    assert lessons["pmo_only"] not in chosen and lessons["secret"] not in chosen


def test_each_gate_gets_its_own_briefing_and_replays_change_nothing(kb, lessons):
    start = started_event()
    post(kb, start)
    gate = gate_event()
    post(kb, gate)
    found = briefings.list_briefings(kb.db, "HARBOUR")
    assert [b.trigger for b in found] == ["started", "gate:G2"]
    gate_briefing = found[1]
    assert gate_briefing.phase == "build" and gate_briefing.recipient == "maria"
    reasons = {i.lesson_id: i.reason for i in gate_briefing.items}
    assert "same phase: build" in reasons[lessons["tags"]]
    before = counts(kb)
    assert before[0] == 2 and before[2] == 2

    # the same events again: the worker runs the handler again, nothing more happens
    with kb.db.read() as s:
        seqs = [
            s.scalar(select(Event.seq).where(Event.event_id == e.event_id)) for e in (start, gate)
        ]
    with kb.db.write() as s:
        for seq in seqs:
            briefings.brief(
                s,
                kb.index,
                s.get(Event, seq).data,
                trigger_kind="started" if seq == seqs[0] else "gate",
                event_seq=seq,
            )
    assert counts(kb) == before
    kb.worker.run_pending()
    assert counts(kb) == before


def test_the_api_lists_only_lessons_the_caller_may_read(kb, lessons, login_as, app):
    post(kb, started_event())
    outsider = login_as("reader", "otto")
    body = outsider.get("/api/projects/harbour/briefings").json
    [briefing] = body["briefings"]
    listed = [x["lesson"] for x in briefing["lessons"]]
    assert lessons["tags"] in listed and lessons["pmo_only"] not in listed
    assert all(x["reason"] for x in briefing["lessons"])
    member = login_as("reader", "pia", groups=["pmo"])
    listed = [
        x["lesson"]
        for x in member.get("/api/projects/HARBOUR/briefings").json["briefings"][0]["lessons"]
    ]
    assert lessons["pmo_only"] in listed
    assert outsider.get("/api/projects/NOPE/briefings").json == {"project": "NOPE", "briefings": []}
    spec = app.test_client().get("/api/openapi.json").json["paths"]
    assert "/api/projects/{key}/briefings" in spec
    assert "/api/briefings/{briefing_id}/responses" in spec


def test_answers_are_recorded(kb, lessons, login_as, app):
    post(kb, started_event())
    [briefing] = briefings.list_briefings(kb.db, "HARBOUR")
    url = f"/api/briefings/{briefing.id}/responses"
    maria = app.test_client()
    with maria.session_transaction() as session:  # signed in as tests/conftest.py does
        user = lessons["maria"]
        session.update(
            {
                "_user_id": f"{user.id}:{user.session_token}",
                "_fresh": True,
                "auth_at": int(time.time()),
            }
        )  # a reader, but the briefing's recipient
    answer = maria.post(url, json={"lesson": lessons["tags"], "response": "action_taken"})
    assert answer.status_code == 200, answer.json
    assert (answer.json["response"], answer.json["responded_by"]) == ("action_taken", "maria")
    assert answer.json["responded_at"]

    cleo = login_as("contributor", "cleo")
    ok = cleo.post(url, json={"lesson": lessons["migration"], "response": "not_applicable"})
    assert ok.status_code == 200 and ok.json["responded_by"] == "cleo"
    # cleo is not in the pmo group: that lesson does not exist for her
    hidden = cleo.post(url, json={"lesson": lessons["pmo_only"], "response": "applies"})
    assert hidden.status_code == 404

    assert (
        login_as("reader", "rita")
        .post(url, json={"lesson": lessons["tags"], "response": "applies"})
        .status_code
        == 403
    )
    assert cleo.post(url, json={"lesson": lessons["tags"], "response": "maybe"}).status_code == 400
    assert cleo.post(url, json={"response": "applies"}).status_code == 400
    assert (
        cleo.post(url, json={"lesson": lessons["unrelated"], "response": "applies"}).status_code
        == 404
    )
    assert (
        cleo.post(
            "/api/briefings/999/responses", json={"lesson": lessons["tags"], "response": "applies"}
        ).status_code
        == 404
    )

    with kb.db.read() as s:
        answers = {
            i.lesson_id: (i.response, i.responded_by)
            for i in s.scalars(select(BriefingItem))
            if i.response
        }
    assert answers == {
        lessons["tags"]: ("action_taken", "maria"),
        lessons["migration"]: ("not_applicable", "cleo"),
    }
    listed = maria.get("/api/projects/HARBOUR/briefings").json["briefings"][0]["lessons"]
    assert {x["lesson"]: x["response"] for x in listed}[lessons["tags"]] == "action_taken"


def test_a_project_with_long_tags_and_description_still_gets_a_valid_query():
    """Hyphenated tags count twice (tags:"a b" and each word): the query stops before the
    search's word limit instead of being refused (a briefing with no lessons)."""
    from kb.briefings.services import Profile, build_query
    from kb.search.querylang import MAX_WORDS, count_words, validate

    profile = Profile(
        key="HARBOUR",
        name="Harbour warehouse automation programme",
        description_words=[f"word{i}" for i in range(30)],
        tags=["goods-in", "safety", "uat", "vendor", "cutover", "wms", "robots", "asn", "dock"],
        methodology="prince2",
        phase="build",
    )
    query = build_query(profile)
    validate(query)  # no QueryError
    assert count_words(query) <= MAX_WORDS
    assert 'tags:"goods-in"' in query and "OR" in query
