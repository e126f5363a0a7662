"""A project's whole life, driven only by the CloudEvents its tools send to POST /api/events
(created → started → two stage gates → closed → audit completed), with the people in between
using the API as they would: every effect is asserted, then every event is sent again and
nothing more happens."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from standardwebhooks import Webhook

from kb.accounts import services as accounts
from kb.accounts.viewer import SYSTEM
from kb.briefings.models import Briefing, BriefingItem
from kb.documents import lifecycle
from kb.documents import services as documents
from kb.documents.models import DocumentRevision
from kb.documents.transfer import import_tree
from kb.events.inbound.producers import create_producer
from kb.events.log.models import Event
from kb.notifications.models import Notification, SentMail
from kb.projects import services as projects
from kb.reviews.models import Review
from kb.tasks.models import Task

PASSWORD = "correct horse battery"
MARIA = "maria.lopez@example.org"
PROJECT = {
    "projectId": "ORION",
    "name": "Orion payroll replacement",
    "description": "Replace the payroll system; a supplier delivers the interface to the "
    "bank and the HR system, data migration from the old payroll.",
    "managerEmail": MARIA,
}
CLOSED_ON = date(2026, 10, 2)
PAYROLL_MODEL = (
    "---\nid: PM-0101\ntitle: Monthly payroll run (to-be)\nstatus: published\nstate: to-be\n"
    "owner: Head of Payroll\ncustodian: Orion project team\nproject: ORION\n---\n\n"
    "## Purpose\n\nPay everyone correctly and on time.\n"
)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


@pytest.fixture
def config(config, mailbox):
    return dataclasses.replace(
        config,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=mailbox.port,
        SMTP_FROM="kb@pmo.example.org",
        SMTP_TIMEOUT=5.0,
        BASE_URL="https://kb.example.org",
    )


class World:
    """The organisation around kb: its project tool (a producer), a project manager and a
    PMO curator, each with their own signed-in client."""

    def __init__(self, app, kb, mailbox):
        self.app, self.kb, self.mailbox = app, kb, mailbox
        self.producer = create_producer(kb.db, "project-tool")
        self.sent: list[dict] = []
        self.today = date(2026, 5, 1)
        kb.worker.clock = lambda: _at(self.today)
        self.maria = self._client("maria", "contributor", MARIA)
        self.cora = self._client("cora", "curator", "cora@example.org")

    def _client(self, username: str, role: str, email: str):
        user = accounts.create_user(
            self.kb.db, username, password=PASSWORD, role=role, email=email, actor="test"
        )
        client = self.app.test_client()
        response = client.post("/login", data={"username": username, "password": PASSWORD})
        assert response.status_code == 303, response.text
        client.user = user
        return client

    def send(self, short_type: str, data: dict, *, event_id: str | None = None) -> dict:
        """The project tool posts one signed structured CloudEvent; kb's worker and index
        follower then do what they would do in the background."""
        event = {
            "specversion": "1.0",
            "id": event_id or f"orion-{len(self.sent) + 1}",
            "source": "urn:pmo:projects:acme",
            "type": f"org.pmo.{short_type}",
            "time": _at(self.today).isoformat(),
            "subject": "projects/ORION",
            "datacontenttype": "application/json",
            "data": data,
        }
        body = json.dumps(event)
        signed = Webhook(self.producer.secret).sign(event["id"], datetime.now(UTC), body)
        response = self.app.test_client().post(
            "/api/events",
            data=body,
            headers={
                "Content-Type": "application/cloudevents+json",
                "webhook-id": event["id"],
                "webhook-timestamp": str(int(datetime.now(UTC).timestamp())),
                "webhook-signature": signed,
            },
        )
        assert response.status_code == 202, response.text
        if event_id is None:
            self.sent.append(event)
        self.settle()
        return event

    def settle(self) -> None:
        for _ in range(30):
            self.kb.projection.catch_up()
            if not self.kb.worker.run_pending():
                self.kb.projection.catch_up()
                return
        raise AssertionError("the worker never became idle")

    def emitted(self, name: str) -> list[Event]:
        with self.kb.db.read() as s:
            return list(
                s.scalars(
                    select(Event).where(Event.type == f"org.pmo.kb.{name}").order_by(Event.seq)
                )
            )

    def inbox(self, client) -> list[dict]:
        response = client.get("/api/inbox")
        assert response.status_code == 200, response.text
        return response.json["items"]

    def state(self) -> dict:
        """Everything the events may change, counted."""
        with self.kb.db.read() as s:
            count = lambda model: s.scalar(select(func.count()).select_from(model))  # noqa: E731
            return {
                "kb events": s.scalar(select(func.count()).where(Event.source == "urn:pmo:kb")),
                "briefings": count(Briefing),
                "briefing items": count(BriefingItem),
                "reviews": count(Review),
                "tasks": count(Task),
                "revisions": count(DocumentRevision),
                "notifications": count(Notification),
                "mails sent": count(SentMail),
            }


def register_orion(kb) -> None:
    with kb.db.write() as s:
        projects.upsert_project(s, {"key": "ORION", "name": PROJECT["name"], "status": "proposed"})


@pytest.fixture
def world(app, kb, mailbox):
    report = import_tree(kb.db, kb.config.CONTENT_DIR, actor="test")
    assert len(report.created) > 30
    # Atlas's late bank-interface specification was acted upon (its contract template changed)
    for to in ("in_action", "actioned"):
        lifecycle.transition_lesson(kb.db, "LL-2024-0001", to, viewer=SYSTEM)
    # the to-be process the project designed, still in the project team's custody (a model
    # may name only a registered project: ORION is in the register, as a curator put it)
    register_orion(kb)
    documents.create_document(kb.db, PAYROLL_MODEL, actor="test", type_hint="process")
    kb.projection.catch_up()
    return World(app, kb, mailbox)


def test_a_project_from_creation_to_audit_with_events_only(world, kb):
    w = world
    # --- created: the project register ---------------------------------------------------
    w.send(
        "project.created",
        {
            "project": PROJECT,
            "sponsor": "CFO",
            "methodology": "hybrid",
            "plannedStart": "2026-05-04",
            "plannedEnd": "2026-09-30",
            "tags": ["vendor", "interface-spec", "payroll"],
        },
    )
    project = w.cora.get("/api/projects/ORION").json
    assert project["name"] == "Orion payroll replacement"

    # --- started: a briefing of relevant past lessons for the project manager ---------------
    w.send(
        "project.started",
        {
            "project": PROJECT,
            "actualStart": "2026-05-04",
            "managerEmail": MARIA,
            "tags": ["vendor", "interface-spec"],
            "methodology": "hybrid",
        },
    )
    briefings = w.maria.get("/api/projects/ORION/briefings").json["briefings"]
    assert len(briefings) == 1 and briefings[0]["recipient"] == "maria"
    first = briefings[0]["lessons"]
    ids = [item["lesson"] for item in first]
    # the two late-interface-specification lessons are the most relevant, each with a reason
    assert {"LL-2024-0001", "LL-2026-0019"} <= set(ids[:3]), ids
    assert all(item["reason"] for item in first)
    assert "vendor" in next(i["reason"] for i in first if i["lesson"] == "LL-2026-0019")
    recommended = w.emitted("lessons.recommended")
    assert [e.data["project"] for e in recommended] == ["ORION"]
    assert any(n["link"].endswith("/projects/ORION") for n in w.inbox(w.maria))
    assert [m["Subject"] for m in w.mailbox.to(MARIA)], "the briefing was not mailed"
    answer = w.maria.post(
        f"/api/briefings/{briefings[0]['id']}/responses",
        json={"lesson": "LL-2026-0019", "response": "action_taken"},
    )
    assert answer.status_code == 200, answer.text

    # --- two stage gates: a briefing for each coming stage ----------------------------------
    for seq, (gate, stage) in enumerate((("G1", "design"), ("G2", "build")), start=1):
        w.today = date(2026, 5 + seq, 1)
        w.send(
            "project.stagegate.passed",
            {
                "project": PROJECT,
                "gate": {"id": gate, "name": f"Gate {seq}", "sequence": seq},
                "decision": "go",
                "decidedAt": _at(w.today).isoformat(),
                "nextStage": stage,
            },
        )
    briefings = w.maria.get("/api/projects/ORION/briefings").json["briefings"]
    assert [b["trigger"] for b in briefings] == ["started", "gate:G1", "gate:G2"]
    assert len(w.emitted("lessons.recommended")) == 3

    # --- closed: the review, due 30 days later; the process model to the PMO ---------------
    w.today = CLOSED_ON
    w.send(
        "project.closed",
        {
            "project": PROJECT,
            "closedAt": "2026-10-02T16:00:00Z",
            "closureType": "completed",
            "outcomeSummary": "Live on time.",
            "managerEmail": MARIA,
            "processModels": [{"modelId": "PM-0101", "name": "Monthly payroll run"}],
        },
    )
    review = w.maria.get("/api/projects/ORION/review").json
    assert (review["status"], review["due_on"], review["facilitator"]) == (
        "open",
        "2026-11-01",
        MARIA,
    )
    assert [e.data["project"] for e in w.emitted("review.opened")] == ["ORION"]
    model = documents.get_document(kb.db, "PM-0101")
    assert (model.custodian, model.owner) == ("PMO", "Head of Payroll")
    custody = w.emitted("processmodel.custodian.changed")
    assert [(e.data["id"], e.data["from"]) for e in custody] == [("PM-0101", "Orion project team")]
    tasks = w.cora.get("/api/tasks?kind=confirm_bau_owner").json["tasks"]
    assert [t["subject"] for t in tasks] == ["processes/PM-0101"]
    assert any("/projects/ORION/review" in n["link"] for n in w.inbox(w.maria))

    # --- overdue: the project manager first, the PMO fourteen days later (time injected) ----
    w.today = date(2026, 11, 2)
    w.settle()
    w.today = date(2026, 11, 16)
    w.settle()
    overdue = w.emitted("review.overdue")
    assert [(e.data["level"], e.data["notify"]) for e in overdue] == [
        (1, "project_manager"),
        (2, "pmo"),
    ]
    assert any("overdue" in n["title"].lower() for n in w.inbox(w.maria))
    assert any("overdue" in n["title"].lower() for n in w.inbox(w.cora))
    mailed = {who: [m["Subject"] for m in w.mailbox.to(who)] for who in (MARIA, "cora@example.org")}
    assert any("overdue" in subject.lower() for subject in mailed[MARIA]), mailed
    assert any("overdue" in subject.lower() for subject in mailed["cora@example.org"]), mailed

    # --- the closure workshop: two lessons, submitted by the facilitator -------------------
    late = w.maria.post(
        "/api/projects/ORION/review/lessons",
        json={
            "impact": "to_improve",
            "title": "Payroll supplier's bank interface specification arrived late",
            "topics": ["procurement", "schedule"],
            "sections": {
                "what_happened": "The supplier delivered the bank interface specification for the "
                "payroll system six weeks late; the interface build was compressed.",
                "lesson": "Late interface specifications from suppliers keep recurring: the contract "
                "had no date and no remedy for the specification.",
                "recommendation": "Put the interface specification, its date and acceptance into "
                "the supplier contract before signature.",
            },
        },
    )
    assert late.status_code == 201, late.text
    well = w.maria.post(
        "/api/projects/ORION/review/lessons",
        json={
            "impact": "went_well",
            "title": "Three parallel payroll runs caught every defect",
            "topics": ["quality"],
            "sections": {
                "what_happened": "We ran three parallel payroll runs before go-live.",
                "lesson": "Parallel runs find the defects testing misses.",
                "recommendation": "Plan three parallel runs in every payroll project.",
            },
        },
    )
    assert well.status_code == 201, well.text
    late_id, well_id = late.json["id"], well.json["id"]
    submitted = w.maria.post("/api/projects/ORION/review/submit")
    assert submitted.status_code == 200, submitted.text
    assert submitted.json["status"] == "completed"
    w.settle()
    assert {documents.get_document(kb.db, i).status for i in (late_id, well_id)} == {"submitted"}
    completed = w.emitted("review.completed")
    assert len(completed) == 1 and set(completed[0].data["lessons"]) == {late_id, well_id}

    # --- recurrence: Atlas's actioned lesson came back in another project ------------------
    recurred = w.emitted("lesson.recurred")
    assert [(e.data["id"], e.data["recurred_in"]) for e in recurred] == [("LL-2024-0001", late_id)]
    older = w.cora.get("/api/lessons/LL-2024-0001").json
    assert (older["status"], older["recurrence_count"]) == ("reopened", 1)
    newer = w.cora.get(f"/api/lessons/{late_id}").json
    assert any(r["id"] == "LL-2024-0001" for r in newer["recurrences"])
    assert any(s["id"] == "LL-2024-0001" for s in newer["similar"])

    # --- the curator publishes, acts, and the action closes --------------------------------
    for to in ("in_review", "published"):
        moved = w.cora.post(f"/api/lessons/{late_id}/transitions", json={"to": to})
        assert moved.status_code == 200, moved.text
    action = w.cora.post(
        f"/api/lessons/{late_id}/actions",
        json={
            "description": "Add the interface specification clause to the supplier contract template",
            "owner": "cora",
            "due_on": "2026-12-15",
            "target_kind": "template",
            "target_ref": "https://intranet.example.org/templates/supplier-contract",
        },
    )
    assert action.status_code == 201, action.text
    closed = w.cora.post(
        f"/api/actions/{action.json['id']}/close", json={"note": "Clause 7.4 added"}
    )
    assert closed.status_code == 200, closed.text
    w.settle()
    assert w.cora.get(f"/api/lessons/{late_id}").json["status"] == "actioned"
    assert any(late_id in n["link"] for n in w.inbox(w.maria))  # published: its author is told

    # --- the audit: findings become draft lessons; verification of actioned lessons is due --
    w.today = date(2027, 3, 1)
    w.send(
        "audit.completed",
        {
            "auditId": "AUD-2027-004",
            "project": PROJECT,
            "scope": "Payroll controls",
            "completedAt": "2027-03-01T12:00:00Z",
            "findings": [
                {
                    "id": "F1",
                    "severity": "high",
                    "title": "Payroll changes approved by their author",
                    "recommendation": "Enforce four-eyes approval of payroll changes.",
                }
            ],
        },
    )
    review = w.cora.get("/api/projects/ORION/review").json
    from_audit = [entry for entry in review["lessons"] if entry.get("source") == "audit"]
    assert [(e["finding"], e["status"]) for e in from_audit] == [("F1", "draft")]
    due = w.emitted("lesson.verification_due")
    assert [e.data["id"] for e in due] == [late_id]
    verify = w.cora.get("/api/tasks?kind=verify_lesson").json["tasks"]
    assert [t["subject"] for t in verify] == [f"lessons/{late_id}"]
    verified = w.cora.post(
        f"/api/lessons/{late_id}/transitions",
        json={
            "to": "verified",
            "reason": "AUD-2027-004 found no late specification in ORION's contracts",
        },
    )
    assert verified.status_code == 200, verified.text
    assert w.cora.get(f"/api/lessons/{late_id}").json["status"] == "verified"

    # --- every event again: all answered 202, nothing more happens --------------------------
    w.settle()
    before = w.state()
    mails = len(w.mailbox.received)
    for event in w.sent:
        w.send(event["type"].removeprefix("org.pmo."), event["data"], event_id=event["id"])
    assert w.state() == before
    assert len(w.mailbox.received) == mails
