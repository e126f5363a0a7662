"""`project.closed` opens one lessons review and hands the project's process models to the PMO;
overdue reviews are escalated by a sweep with injected time; completing emits an event."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from kb.core.errors import Conflict
from kb.core.time import utcnow
from kb.documents import services as documents
from kb.events.jobs import admin
from kb.events.log.models import Event
from kb.events.log.services import lock_log
from kb.reviews import services as reviews
from kb.reviews.models import Review
from kb.tasks import services as task_list
from kb.tasks.models import Task

# odd spacing and quoting on purpose: everything but the custodian value must survive
HARBOUR_MODEL = (
    "---\nid: PM-0005\ntitle: Goods receipt and put-away (as-is)\nstatus: published\n"
    'version: "1.0"\nstate: as-is\nowner: Head of Warehouse Operations\n'
    "custodian:   Harbour project team\nproject: HARBOUR\ntags: [warehouse,   as-is]\n---\n\n"
    "## Purpose\n\nReceive goods.   Trailing spaces stay.  \n"
)
LISTED_MODEL = (
    "---\nid: PM-0007\ntitle: Benefits tracking\nstatus: published\nowner: Head of Finance\n"
    "custodian: 'Atlas team'\n---\n\n## Purpose\n\nTrack benefits.\n"
)
PMO_MODEL = (
    "---\nid: PM-0008\ntitle: Invoice approval\nstatus: published\nowner: CFO\n"
    "custodian: PMO\n---\n\n## Purpose\n\nApprove invoices.\n"
)
NO_CUSTODIAN = (
    "---\nid: PM-0009\ntitle: Cut-over\nstatus: draft\nowner: CIO\nproject: HARBOUR\n---\n\nBody.\n"
)


@pytest.fixture(autouse=True)
def before_the_due_date(kb):
    """The worker sweeps overdue reviews on every pass: pin its clock between the closure
    (2026-10-02) and the due date, so only the tests about escalation see any."""
    kb.worker.clock = lambda: datetime(2026, 10, 5, tzinfo=UTC)


def closed_event(key: str = "HARBOUR", **data) -> Event:
    payload = {
        "project": {"projectId": key, "name": f"Project {key}"},
        "closedAt": "2026-10-02T16:00:00Z",
        "closureType": "completed",
        "outcomeSummary": "Live on time.",
        "managerEmail": "pm@example.org",
        "participants": ["a@example.org", "b@example.org"],
        "processModels": [
            {"modelId": "PM-0007", "name": "Benefits tracking", "version": "2.1"},
            {"modelId": "PM-0008", "name": "Invoice approval"},
            {"modelId": "PM-0999", "name": "Not in kb"},
            {"modelId": "BPM-17", "name": "Another tool's id"},
        ],
    }
    payload.update(data)
    return Event(
        source="urn:pmo:test",
        event_id=str(uuid.uuid4()),
        type="org.pmo.project.closed",
        time=utcnow(),
        data=payload,
        partition_key=key,
    )


def post(kb, *events: Event) -> None:
    with kb.db.write() as s:
        lock_log(s)
        s.add_all(events)
    kb.worker.run_pending()


def kb_events(kb, type_suffix: str) -> list[Event]:
    with kb.db.read() as s:
        return list(
            s.scalars(
                select(Event).where(Event.type == f"org.pmo.kb.{type_suffix}").order_by(Event.seq)
            )
        )


def counts(kb) -> dict:
    with kb.db.read() as s:
        return {
            # the project register (not this feature) records a second closure's new date
            "events": list(
                s.scalars(
                    select(Event.type).where(
                        Event.source == "urn:pmo:kb", ~Event.type.like("org.pmo.kb.project.%")
                    )
                )
            ),
            "reviews": s.scalar(select(func.count()).select_from(Review)),
            "tasks": s.scalar(select(func.count()).select_from(Task)),
            "versions": {
                d: documents.get_document(kb.db, d).version
                for d in ("PM-0005", "PM-0007", "PM-0008", "PM-0009")
            },
        }


@pytest.fixture
def models(kb, make_project):
    make_project("HARBOUR", "ATLAS")  # known from the project tools' earlier events
    for source in (HARBOUR_MODEL, LISTED_MODEL, PMO_MODEL, NO_CUSTODIAN):
        documents.create_document(kb.db, source, actor="tester", type_hint="process")


def test_closure_opens_the_review_and_hands_the_models_to_the_pmo(kb, models):
    post(kb, closed_event())
    review = reviews.get_review(kb.db, "harbour")
    assert (review.status, review.due_on, review.facilitator) == (
        "open",
        date(2026, 11, 1),
        "pm@example.org",
    )
    assert review.participants == ["a@example.org", "b@example.org"]
    assert (review.closure_type, review.escalation_level) == ("completed", 0)
    opened = kb_events(kb, "review.opened")
    assert len(opened) == 1 and opened[0].subject == f"reviews/{review.id}"
    assert opened[0].data == {
        "id": review.id,
        "project": "HARBOUR",
        "due_on": "2026-11-01",
        "facilitator": "pm@example.org",
    }

    # custody: a new revision whose Markdown differs only in the custodian value
    harbour = documents.get_document(kb.db, "PM-0005")
    assert (harbour.version, harbour.custodian, harbour.owner) == (
        2,
        "PMO",
        "Head of Warehouse Operations",
    )
    new = documents.get_revision(kb.db, "PM-0005", 2)
    assert new.markdown == HARBOUR_MODEL.replace(
        "custodian:   Harbour project team", "custodian:   PMO"
    )
    assert new.author == "kb"
    listed = documents.get_document(kb.db, "PM-0007")
    assert (listed.version, listed.custodian, listed.owner) == (2, "PMO", "Head of Finance")
    assert documents.get_revision(kb.db, "PM-0007", 2).markdown == LISTED_MODEL.replace(
        "custodian: 'Atlas team'", "custodian: PMO"
    )
    no_custodian = documents.get_document(kb.db, "PM-0009")
    assert (no_custodian.version, no_custodian.custodian) == (2, "PMO")
    assert documents.get_revision(kb.db, "PM-0009", 2).markdown == NO_CUSTODIAN.replace(
        "---\nid:", "---\ncustodian: PMO\nid:", 1
    )
    assert documents.get_document(kb.db, "PM-0008").version == 1  # the PMO held it already

    changed = kb_events(kb, "processmodel.custodian.changed")
    assert [e.data["id"] for e in changed] == ["PM-0005", "PM-0007", "PM-0009"]
    assert changed[0].subject == "processes/PM-0005"
    assert changed[0].data == {
        "id": "PM-0005",
        "title": "Goods receipt and put-away (as-is)",
        "from": "Harbour project team",
        "to": "PMO",
        "owner": "Head of Warehouse Operations",
        "project": "HARBOUR",
    }
    tasks = task_list.list_tasks(kb.db, status=None, project="HARBOUR")
    assert [(t.kind, t.subject, t.assignee, t.status) for t in tasks] == [
        ("confirm_bau_owner", f"processes/{d}", "PMO", "open")
        for d in ("PM-0005", "PM-0007", "PM-0009")
    ]


def test_the_same_closure_twice_and_a_second_closure_change_nothing_more(kb, models):
    first = closed_event()
    post(kb, first)
    before = counts(kb)
    assert before["reviews"] == 1 and before["tasks"] == 3
    # the very same event again (same source and id) is not stored twice...
    duplicate = Event(
        source=first.source,
        event_id=first.event_id,
        type=first.type,
        time=first.time,
        data=first.data,
        partition_key="HARBOUR",
    )
    with pytest.raises(Exception):  # noqa: B017, PT011  (uq_events_source_id)
        post(kb, duplicate)
    # ... acting on it again, a second closure (another delivery) and a replay do nothing
    post(kb, closed_event(closedAt="2026-12-01T10:00:00Z", managerEmail="other@example.org"))
    admin.replay(kb.db, kb.registry, from_seq=1)
    kb.worker.run_pending()
    assert counts(kb) == before
    review = reviews.get_review(kb.db, "HARBOUR")
    assert (review.due_on, review.facilitator) == (date(2026, 11, 1), "pm@example.org")


def test_overdue_reviews_escalate_once_per_level(kb):
    post(kb, closed_event("ORION", processModels=[]))  # due 2026-11-01
    at = lambda *ymd: datetime(*ymd, 12, tzinfo=UTC)  # noqa: E731
    assert reviews.sweep_overdue(kb.db, at(2026, 11, 1)) == []  # due today: not late yet
    first = reviews.sweep_overdue(kb.db, at(2026, 11, 2))
    assert [(e.project, e.level) for e in first] == [("ORION", 1)]
    assert reviews.sweep_overdue(kb.db, at(2026, 11, 10)) == []
    assert reviews.sweep_overdue(kb.db, at(2026, 11, 15)) == []  # due + 14 days: still level 1
    second = reviews.sweep_overdue(kb.db, at(2026, 11, 16))
    assert [(e.project, e.level) for e in second] == [("ORION", 2)]
    assert reviews.sweep_overdue(kb.db, at(2027, 1, 1)) == []
    overdue = kb_events(kb, "review.overdue")
    assert [(e.data["level"], e.data["notify"]) for e in overdue] == [
        (1, "project_manager"),
        (2, "pmo"),
    ]
    assert overdue[0].data["project"] == "ORION" and overdue[0].data["due_on"] == "2026-11-01"
    assert reviews.get_review(kb.db, "ORION").escalation_level == 2


def test_a_long_overdue_review_goes_through_each_level(kb):
    post(kb, closed_event("VEGA", processModels=[]))
    late = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(days=40)
    assert [e.level for e in reviews.sweep_overdue(kb.db, late)] == [1, 2]
    assert reviews.sweep_overdue(kb.db, late) == []


def test_completing_the_review(kb):
    post(kb, closed_event("ORION", processModels=[]))
    review = reviews.complete_review(kb.db, "orion", actor="maria")
    assert (review.status, review.completed_by) == ("completed", "maria")
    assert review.completed_at is not None
    completed = kb_events(kb, "review.completed")
    assert len(completed) == 1 and completed[0].data["completed_by"] == "maria"
    with pytest.raises(Conflict):
        reviews.complete_review(kb.db, "ORION", actor="maria")
    # a completed review is never escalated
    assert reviews.sweep_overdue(kb.db, datetime(2027, 6, 1, tzinfo=UTC)) == []


def test_the_review_api(kb, models, login_as, make_lesson):
    make_lesson("Trial loads started late", project="HARBOUR")
    make_lesson("Not this project", project="ATLAS")
    post(kb, closed_event())
    reader = login_as("reader")
    answer = reader.get("/api/projects/HARBOUR/review")
    assert answer.status_code == 200
    body = answer.json
    assert (body["project"], body["status"], body["due_on"]) == ("HARBOUR", "open", "2026-11-01")
    assert body["facilitator"] == "pm@example.org" and body["escalation_level"] == 0
    assert body["participants"] == ["a@example.org", "b@example.org"]
    # the review's lessons only (recorded in it), not every lesson of the project
    assert body["lessons"] == [] and body["progress"]["total"] == 0
    assert body["progress"]["summary"] == "No lessons recorded yet; 0 submitted"
    assert [t["subject"] for t in body["tasks"]] == [
        "processes/PM-0005",
        "processes/PM-0007",
        "processes/PM-0009",
    ]
    missing = reader.get("/api/projects/ATLAS/review")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    assert "/api/projects/{key}/review" in reader.get("/api/openapi.json").json["paths"]


def test_the_due_date_follows_the_setting(kb):
    from kb.config import Config
    from kb.context import build_registry
    from kb.events.jobs.worker import Worker

    assert Config.from_env({"KB_REVIEW_DUE_DAYS": "45"}).REVIEW_DUE_DAYS == 45
    with kb.db.write() as s:
        lock_log(s)
        s.add(closed_event("ORION", processModels=[]))
    Worker(kb.db, build_registry(Config(REVIEW_DUE_DAYS=10), kb.db)).run_pending()
    assert reviews.get_review(kb.db, "ORION").due_on == date(2026, 10, 12)


def test_the_worker_sweeps_overdue_reviews(kb, clock):
    post(kb, closed_event("ORION", closedAt="2026-01-10T12:00:00Z"))
    kb.worker.clock = clock
    clock.now = datetime(2026, 1, 20, tzinfo=UTC)
    kb.worker.run_pending()  # the closure is handled: the review is open, not yet due
    assert kb_events(kb, "review.overdue") == []
    clock.now = datetime(2026, 3, 1, tzinfo=UTC)  # long past due: both levels, in order
    kb.worker.run_pending()
    assert [e.data["level"] for e in kb_events(kb, "review.overdue")] == [1, 2]
    kb.worker.run_pending()
    assert len(kb_events(kb, "review.overdue")) == 2
