"""`audit.completed`: findings become draft lessons of the project's review (or of a review the
audit opens), actioned lessons become due for verification; idempotent (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kb.core.time import utcnow
from kb.documents import services as documents
from kb.documents.models import Document
from kb.events.jobs import admin
from kb.events.jobs.models import HandlerRun
from kb.events.log.models import Event
from kb.reviews import services as reviews
from kb.reviews.models import Review, ReviewLesson
from kb.tasks import services as task_list
from kb.tasks.models import Task

from .conftest import inbound

FINDINGS = [
    {
        "id": "F1",
        "severity": "High",
        "title": "Vendor master changes without approval",
        "recommendation": "Enforce four-eyes approval on vendor master data.",
    },
    {
        "id": "F2",
        "severity": "low",
        "title": "Cut-over log incomplete",
        "recommendation": "Keep the cut-over log in the runbook tool.",
    },
]


def audit_event(audit_id: str = "AUD-2026-031", key: str | None = "HARBOUR", findings=None):
    data = {
        "auditId": audit_id,
        "scope": "Procurement controls",
        "completedAt": "2026-10-04T12:00:00Z",
        "findings": FINDINGS if findings is None else findings,
    }
    if key:
        data["project"] = {"projectId": key.lower(), "name": f"Project {key}"}
    return inbound("audit.completed", data, key)


def kb_events(kb, suffix: str) -> list[Event]:
    with kb.db.read() as s:
        return list(
            s.scalars(select(Event).where(Event.type == f"org.pmo.kb.{suffix}").order_by(Event.seq))
        )


def links(kb) -> list[ReviewLesson]:
    with kb.db.read() as s:
        return list(s.scalars(select(ReviewLesson).order_by(ReviewLesson.id)))


def state(kb) -> dict:
    with kb.db.read() as s:
        return {
            "documents": s.scalar(select(func.count()).select_from(Document)),
            "links": s.scalar(select(func.count()).select_from(ReviewLesson)),
            "reviews": s.scalar(select(func.count()).select_from(Review)),
            "tasks": s.scalar(select(func.count()).select_from(Task)),
            "kb_events": s.scalar(
                select(func.count()).select_from(Event).where(Event.source == "urn:pmo:kb")
            ),
        }


@pytest.fixture
def actioned(make_lesson):
    """Two actioned HARBOUR lessons, one published one and an actioned lesson elsewhere."""
    return {
        "a": make_lesson("Interface specs late", project="HARBOUR", status="actioned"),
        "b": make_lesson("Test data missing", project="HARBOUR", status="actioned"),
        "published": make_lesson("Good vendor demos", project="HARBOUR", status="published"),
        "other": make_lesson("Another project", project="ATLAS", status="actioned"),
    }


def test_findings_join_the_open_review_and_actioned_lessons_become_due(
    kb, post, close_project, actioned
):
    close_project("HARBOUR")
    review = reviews.get_review(kb.db, "HARBOUR")
    post(audit_event())
    found = links(kb)
    assert [(x.review_id, x.source, x.impact, x.audit_id, x.finding_id) for x in found] == [
        (review.id, "audit", "to_improve", "AUD-2026-031", "F1"),
        (review.id, "audit", "to_improve", "AUD-2026-031", "F2"),
    ]
    first = documents.get_document(kb.db, found[0].lesson_id)
    assert (first.title, first.status, first.project_key, first.polarity, first.priority) == (
        "Vendor master changes without approval",
        "draft",
        "HARBOUR",
        "problem",
        "high",
    )
    assert first.tags == ["audit", "severity-high"] and first.created_by is None
    markdown = documents.get_revision(kb.db, first.id, 1).markdown
    assert "## Recommendation\n\nEnforce four-eyes approval on vendor master data." in markdown
    assert "Audit AUD-2026-031 (Procurement controls), finding F1" in markdown
    assert documents.get_document(kb.db, found[1].lesson_id).tags == ["audit", "severity-low"]
    assert [e.data["actor"] for e in kb_events(kb, "lesson.created")][-2:] == ["kb", "kb"]
    with kb.db.read() as s:  # the open closure review took them: no audit review
        assert s.scalar(select(func.count()).select_from(Review)) == 1

    tasks = [t for t in task_list.list_tasks(kb.db, status=None) if t.kind == "verify_lesson"]
    a, b = actioned["a"], actioned["b"]
    assert [(t.subject, t.assignee, t.status) for t in tasks] == [
        (f"lessons/{a.id}", "PMO", "open"),
        (f"lessons/{b.id}", "PMO", "open"),
    ]
    assert tasks[0].details == {
        "id": a.id,
        "title": a.title,
        "project": "HARBOUR",
        "audit": "AUD-2026-031",
    }
    due = kb_events(kb, "lesson.verification_due")
    assert [(e.subject, e.data) for e in due] == [(t.subject, t.details) for t in tasks]
    assert due[0].partition_key == "HARBOUR"


def test_the_same_audit_again_changes_nothing(kb, post, close_project, actioned, login_as):
    close_project("HARBOUR", closedAt=utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"))  # not overdue
    post(audit_event())
    before = state(kb)
    post(audit_event())  # the same audit delivered again under a new event id
    assert state(kb) == before
    # every handler run again: replayed runs are due now, so let the worker's clock be now
    kb.worker.clock = lambda: utcnow() + timedelta(minutes=1)
    replayed = admin.replay(kb.db, kb.registry, from_seq=1)
    kb.worker.run_pending()
    assert replayed and state(kb) == before
    with kb.db.read() as s:
        runs = list(
            s.scalars(select(HandlerRun.status).where(HandlerRun.handler.like("reviews.%")))
        )
    assert sorted(runs) == ["done"] * 3  # closure, two audits: replayed, and run again
    # a later event with one known and one new finding drafts only the new one
    post(
        audit_event(
            findings=[
                FINDINGS[0],
                {
                    "id": "F3",
                    "severity": "medium",
                    "title": "No RACI",
                    "recommendation": "Agree a RACI.",
                },
            ]
        )
    )
    after = state(kb)
    assert (after["documents"], after["links"], after["tasks"]) == (
        before["documents"] + 1,
        before["links"] + 1,
        before["tasks"],
    )
    assert [x.finding_id for x in links(kb)] == ["F1", "F2", "F3"]
    body = login_as("reader").get("/api/projects/HARBOUR/review").json
    assert [(x["source"], x["finding"]) for x in body["lessons"]] == [
        ("audit", "F1"),
        ("audit", "F2"),
        ("audit", "F3"),
    ]


def test_a_second_audit_does_not_ask_twice_while_verification_is_open(
    kb, post, close_project, actioned
):
    close_project("HARBOUR")
    post(audit_event())
    post(audit_event("AUD-2026-040", findings=[]))
    assert (
        len([t for t in task_list.list_tasks(kb.db, status=None) if t.kind == "verify_lesson"]) == 2
    )
    with kb.db.write() as s:
        for task in s.scalars(select(Task).where(Task.kind == "verify_lesson")):
            task.status = "done"
    post(audit_event("AUD-2026-041", findings=[]))
    fresh = [t for t in task_list.list_tasks(kb.db, status=None) if t.status == "open"]
    assert {t.details["audit"] for t in fresh} == {"AUD-2026-041"} and len(fresh) == 2
    assert len(kb_events(kb, "lesson.verification_due")) == 4


def test_with_no_open_review_the_audit_opens_its_own(kb, post, close_project, login_as):
    close_project("HARBOUR")
    reviews.complete_review(kb.db, "HARBOUR", actor="maria")
    closure = reviews.get_review(kb.db, "HARBOUR")
    post(audit_event())
    review = reviews.get_review(kb.db, "HARBOUR")
    assert review.id != closure.id
    assert (review.origin, review.status, review.due_on.isoformat()) == (
        "audit:AUD-2026-031",
        "open",
        "2026-11-03",
    )
    assert {x.review_id for x in links(kb)} == {review.id}
    opened = kb_events(kb, "review.opened")
    assert [e.data["project"] for e in opened] == ["HARBOUR", "HARBOUR"]
    body = login_as("reader").get("/api/projects/HARBOUR/review").json
    assert (body["id"], body["origin"], len(body["lessons"])) == (
        review.id,
        "audit:AUD-2026-031",
        2,
    )
    # the same audit again: no second audit review
    post(audit_event())
    with kb.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Review)) == 2


def test_an_audit_of_a_project_never_closed_opens_a_review(kb, post, make_lesson):
    post(audit_event(key="ORION"))
    review = reviews.get_review(kb.db, "ORION")
    assert review is not None and review.origin == "audit:AUD-2026-031"
    assert len(links(kb)) == 2
    # when the project closes later, its closure review is opened all the same
    post(
        inbound(
            "project.closed",
            {
                "project": {"projectId": "ORION", "name": "Orion"},
                "closedAt": "2026-10-04T10:00:00Z",
                "closureType": "completed",
                "managerEmail": "pm@example.org",
                "processModels": [],
            },
            "ORION",
        )
    )
    current = reviews.get_review(kb.db, "ORION")
    assert current.origin == "closure" and current.facilitator == "pm@example.org"


def test_an_audit_without_a_project_sends_its_findings_to_the_curators(
    kb, post, actioned, login_as
):
    post(audit_event("AUD-2026-050", key=None))
    found = links(kb)
    assert [(x.review_id, x.finding_id) for x in found] == [(None, "F1"), (None, "F2")]
    docs = [documents.get_document(kb.db, x.lesson_id) for x in found]
    assert [(d.status, d.project_key) for d in docs] == [("submitted", None), ("submitted", None)]
    assert [e.data["actor"] for e in kb_events(kb, "lesson.submitted")] == ["kb", "kb"]
    assert task_list.list_tasks(kb.db, status=None) == []  # no project: nothing to verify
    queue = login_as("curator").get("/queue").get_data(as_text=True)
    assert docs[0].title in queue
    before = state(kb)
    post(audit_event("AUD-2026-050", key=None))
    assert state(kb) == before


def test_the_queue_shows_lessons_due_for_verification(kb, post, close_project, actioned, login_as):
    curator = login_as("curator")
    assert "No lesson is due for verification." in curator.get("/queue").get_data(as_text=True)
    close_project("HARBOUR")
    post(audit_event())
    html = curator.get("/queue").get_data(as_text=True)
    assert "Verification due" in html and "No lesson is due" not in html
    assert actioned["a"].title in html and actioned["b"].title in html
    assert "AUD-2026-031" in html
    assert actioned["published"].title not in html and actioned["other"].title not in html


def test_a_restricted_lesson_due_for_verification_stays_hidden(
    kb, post, close_project, make_lesson, login_as
):
    secret = make_lesson(
        "Payroll cut-over leak",
        project="HARBOUR",
        status="actioned",
        visibility="restricted",
        groups="[hr]",
    )
    close_project("HARBOUR")
    post(audit_event(findings=[]))
    assert [t.subject for t in task_list.list_tasks(kb.db, status=None)] == [f"lessons/{secret.id}"]
    outsider = login_as("reader")
    assert secret.title not in outsider.get("/api/projects/HARBOUR/review").get_data(as_text=True)
    assert secret.title in login_as("curator").get("/queue").get_data(as_text=True)
