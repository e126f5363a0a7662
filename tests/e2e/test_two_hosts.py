"""kb at scale, for real: two gunicorn hosts (two worker processes each, one started with
--preload, each host with its own index folder) and two `kb worker` processes on one
throw-away PostgreSQL database. A project's CloudEvents and its people's API calls alternate
between the hosts; one worker is killed with SIGKILL midway. Every effect happens once, every
event sent again changes nothing, and every change is searchable on both hosts."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from standardwebhooks import Webhook

from kb.accounts import services as accounts
from kb.accounts.viewer import SYSTEM
from kb.briefings.models import Briefing
from kb.config import Config
from kb.context import Kb
from kb.documents import lifecycle
from kb.documents import services as documents
from kb.documents.transfer import import_tree
from kb.events.jobs.models import Cursor, HandlerRun
from kb.events.log.models import Event
from kb.notifications.models import Notification, SentMail
from kb.reviews.models import Review
from kb.search.store import FollowerRole
from kb.tasks.models import Task
from tests.pg import throwaway_database

from .fleet import ROOT, Fleet, Host, call
from .test_project_life import MARIA, PAYROLL_MODEL, PROJECT, register_orion

CONTENT = ROOT / "content"
SECRET = "whsec_a2IgdHdvIGhvc3RzIHRlc3Qgc2VjcmV0IDMyIGJ5dGU="
#: how long the workers may take to finish what one step started
SETTLE_WITHIN = 30.0


@pytest.fixture
def database():
    """A database of its own: four web processes, two workers and the test share it."""
    with throwaway_database() as url:
        yield url


class Organisation:
    """The starter content, a project manager and a curator with API tokens, the project
    tool signing with KB_EVENT_SECRET; then two hosts and two workers."""

    def __init__(self, kb: Kb, fleet: Fleet, hosts: list[Host]):
        self.kb, self.fleet, self.hosts = kb, fleet, hosts
        self.workers: dict[str, str] = {}  # process name -> worker name (its lease owner)
        self.sent: list[dict] = []
        self.turn = 0
        self.tokens = {}
        for username, role, email in (
            ("maria", "contributor", MARIA),
            ("cora", "curator", "cora@example.org"),
        ):
            accounts.create_user(
                kb.db,
                username,
                password="correct horse battery",
                role=role,
                email=email,
                actor="test",
            )
            self.tokens[username] = accounts.create_token(
                kb.db, username, name="test", scope="write"
            )[1]

    def next_host(self) -> Host:
        """The hosts take turns, as a load balancer would hand requests out."""
        self.turn += 1
        return self.hosts[self.turn % len(self.hosts)]

    def send(self, short_type: str, data: dict, *, event_id: str | None = None) -> None:
        event = {
            "specversion": "1.0",
            "id": event_id or f"orion-{len(self.sent) + 1}",
            "source": "urn:pmo:projects:acme",
            "type": f"org.pmo.{short_type}",
            "time": datetime.now(UTC).isoformat(),
            "subject": "projects/ORION",
            "datacontenttype": "application/json",
            "data": data,
        }
        body = json.dumps(event)
        now = datetime.now(UTC)
        host = self.next_host()
        answer = call(
            host.url + "/api/events",
            "POST",
            body=body.encode(),
            headers={
                "Content-Type": "application/cloudevents+json",
                "webhook-id": event["id"],
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": Webhook(SECRET).sign(event["id"], now, body),
            },
        )
        assert answer.status == 202, (host.name, answer)
        if event_id is None:
            self.sent.append(event)

    def api(self, who: str, method: str, path: str, payload: dict | None = None) -> dict:
        host = self.next_host()
        answer = host.api(method, path, self.tokens[who], payload)
        assert answer.status in (200, 201), (host.name, method, path, answer)
        return answer.json

    def settle(self) -> None:
        """Until every event is dispatched and no handler run is left to do."""
        deadline = time.monotonic() + SETTLE_WITHIN
        while time.monotonic() < deadline:
            # one statement, one snapshot: read one by one, the cursor and the newest event
            # could come from before a handler's commit and its runs from after it
            with self.kb.db.read() as s:
                dispatched, newest, open_runs = s.execute(
                    select(
                        select(Cursor.position).where(Cursor.name == "dispatch").scalar_subquery(),
                        select(func.max(Event.seq)).scalar_subquery(),
                        select(func.count())
                        .where(HandlerRun.status.in_(("pending", "running")))
                        .scalar_subquery(),
                    )
                ).one()
            if dispatched == newest and not open_runs:
                return
            time.sleep(0.05)
        raise AssertionError(
            f"the workers did not finish within {SETTLE_WITHIN} s\n{self.fleet.logs()}"
        )

    def kill_while_delivering(self, name: str) -> HandlerRun:
        """SIGKILL worker `name` once it holds a delivery run (held by the mail server, it
        cannot finish the run before the kill)."""
        deadline = time.monotonic() + SETTLE_WITHIN
        while time.monotonic() < deadline:
            with self.kb.db.read() as s:
                held = s.scalar(
                    select(HandlerRun).where(
                        HandlerRun.status == "running",
                        HandlerRun.lane == "deliveries",
                        HandlerRun.lease_owner == self.workers[name],
                    )
                )
            if held is not None:
                self.fleet.kill(name)
                return held
            time.sleep(0.02)
        raise AssertionError(f"{name} never claimed a delivery\n{self.fleet.logs()}")

    def emitted(self, name: str) -> list[Event]:
        with self.kb.db.read() as s:
            return list(s.scalars(select(Event).where(Event.type == f"org.pmo.kb.{name}")))

    def state(self) -> dict:
        with self.kb.db.read() as s:
            count = lambda model: s.scalar(select(func.count()).select_from(model))  # noqa: E731
            kb_events = s.execute(
                select(Event.type, func.count())
                .where(Event.source == "urn:pmo:kb")
                .group_by(Event.type)
            ).all()
            return {
                "kb events": dict(kb_events),
                "briefings": count(Briefing),
                "reviews": count(Review),
                "tasks": count(Task),
                "notifications": count(Notification),
                "mails": count(SentMail),
                "runs not done": s.scalar(select(func.count()).where(HandlerRun.status != "done")),
            }


@pytest.fixture
def held_mailbox(mailbox):
    """A real SMTP server that holds every message until `mailbox.release` is set: the
    workers' delivery threads wait in the middle of their runs meanwhile."""
    mailbox.release = threading.Event()
    accept = mailbox.handle_DATA

    async def handle_DATA(server, session, envelope):  # noqa: N802
        while not mailbox.release.is_set():
            await asyncio.sleep(0.01)
        return await accept(server, session, envelope)

    mailbox.handle_DATA = handle_DATA
    return mailbox


@pytest.fixture
def organisation(database, tmp_path, held_mailbox):
    mailbox = held_mailbox
    env = {
        "KB_DATABASE_URL": database,
        "KB_ENV": "production",
        "KB_SECRET_KEY": "s" * 40,
        "KB_EVENT_SECRET": SECRET,
        "KB_CONTENT_DIR": str(CONTENT),
        "KB_INDEXER_INTERVAL": "0.1",
        "KB_DELIVERY_THREADS": "1",
        "KB_SMTP_HOST": "127.0.0.1",
        "KB_SMTP_PORT": str(mailbox.port),
        "KB_SMTP_FROM": "kb@pmo.example.org",
        "KB_SMTP_TIMEOUT": "5",
        "KB_BASE_URL": "https://kb.example.org",
    }
    kb = Kb.open(
        Config(
            DATABASE_URL=database,
            INDEX_DIR=str(tmp_path / "test-index"),
            CONTENT_DIR=str(CONTENT),
            EVENT_SECRET=SECRET,
        )
    )
    fleet = Fleet(tmp_path, env)
    try:
        kb.register_event_secret()
        import_tree(kb.db, CONTENT, actor="test")
        for to in ("in_action", "actioned"):
            lifecycle.transition_lesson(kb.db, "LL-2024-0001", to, viewer=SYSTEM)
        register_orion(kb)
        documents.create_document(kb.db, PAYROLL_MODEL, actor="test", type_hint="process")
        hosts = [fleet.host("host-a", preload=True), fleet.host("host-b")]
        with kb.db.read() as s:
            newest = s.scalar(select(func.max(Event.seq)))
        fleet.wait_healthy(hosts, newest)
        org = Organisation(kb, fleet, hosts)
        for name, host in (("worker-1", hosts[0]), ("worker-2", hosts[1])):
            fleet.worker(name, host.index_dir)
        org.workers = {name: fleet.worker_name(name) for name in ("worker-1", "worker-2")}
        yield org
    finally:
        fleet.close()
        kb.close()


def _searchable_everywhere(org: Organisation, expected: dict[str, str]) -> None:
    """Each host's index reaches the newest event, then finds each document by its words."""
    with org.kb.db.read() as s:
        newest = s.scalar(select(func.max(Event.seq)))
    org.fleet.wait_healthy(org.hosts, newest)
    for host in org.hosts:
        # one of the host's processes holds its folder's follower role: we cannot take it
        assert not FollowerRole(host.index_dir).held()
        for words, doc_id in expected.items():
            answer = host.api("GET", f"/api/search?q={words.replace(' ', '+')}", org.tokens["cora"])
            assert answer.status == 200, answer
            assert doc_id in [hit["id"] for hit in answer.json["hits"]], (host.name, words)


def test_two_hosts_and_two_workers_on_one_database(organisation, held_mailbox):
    mailbox = held_mailbox
    org = organisation
    today = datetime.now(UTC).date()
    org.send(
        "project.created",
        {
            "project": PROJECT,
            "sponsor": "CFO",
            "methodology": "hybrid",
            "plannedStart": str(today),
            "plannedEnd": str(today + timedelta(days=150)),
            "tags": ["vendor", "interface-spec", "payroll"],
        },
    )
    org.send(
        "project.started",
        {
            "project": PROJECT,
            "actualStart": str(today),
            "managerEmail": MARIA,
            "tags": ["vendor", "interface-spec"],
            "methodology": "hybrid",
        },
    )
    for seq, (gate, stage) in enumerate((("G1", "design"), ("G2", "build")), start=1):
        org.send(
            "project.stagegate.passed",
            {
                "project": PROJECT,
                "gate": {"id": gate, "name": f"Gate {seq}", "sequence": seq},
                "decision": "go",
                "decidedAt": datetime.now(UTC).isoformat(),
                "nextStage": stage,
            },
        )
    # three briefings to mail, each worker has one delivery thread: worker-1 delivers one of
    # them, and dies in the middle without a word; the mail server then accepts again
    killed = org.kill_while_delivering("worker-1")
    mailbox.release.set()
    org.send(
        "project.closed",
        {
            "project": PROJECT,
            "closedAt": datetime.now(UTC).isoformat(),
            "closureType": "completed",
            "outcomeSummary": "Live on time.",
            "managerEmail": MARIA,
            "processModels": [{"modelId": "PM-0101", "name": "Monthly payroll run"}],
        },
    )
    org.settle()

    briefings = org.api("maria", "GET", "/api/projects/ORION/briefings")["briefings"]
    assert [b["trigger"] for b in briefings] == ["started", "gate:G1", "gate:G2"]
    assert {"LL-2024-0001", "LL-2026-0019"} <= {i["lesson"] for i in briefings[0]["lessons"]}
    review = org.api("maria", "GET", "/api/projects/ORION/review")
    assert (review["status"], review["facilitator"]) == ("open", MARIA)
    model = org.api("cora", "GET", "/api/processes/PM-0101")
    assert model["custodian"] == "PMO"

    late = org.api(
        "maria",
        "POST",
        "/api/projects/ORION/review/lessons",
        {
            "impact": "to_improve",
            "title": "Payroll supplier's bank interface specification arrived late",
            "topics": ["procurement", "schedule"],
            "sections": {
                "what_happened": "The supplier delivered the bank interface specification "
                "six weeks late; the interface build was compressed.",
                "lesson": "Late interface specifications from suppliers keep recurring.",
                "recommendation": "Put the interface specification and its date into the "
                "supplier contract before signature.",
            },
        },
    )
    well = org.api(
        "maria",
        "POST",
        "/api/projects/ORION/review/lessons",
        {
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
    assert org.api("maria", "POST", "/api/projects/ORION/review/submit")["status"] == "completed"
    org.settle()
    for to in ("in_review", "published"):
        org.api("cora", "POST", f"/api/lessons/{late['id']}/transitions", {"to": to})
    action = org.api(
        "cora",
        "POST",
        f"/api/lessons/{late['id']}/actions",
        {
            "description": "Add the interface specification clause to the supplier contract",
            "owner": "cora",
            "due_on": str(today + timedelta(days=30)),
            "target_kind": "template",
            "target_ref": "https://intranet.example.org/templates/supplier-contract",
        },
    )
    org.api("cora", "POST", f"/api/actions/{action['id']}/close", {"note": "Clause 7.4 added"})
    org.send(
        "audit.completed",
        {
            "auditId": "AUD-2027-004",
            "project": PROJECT,
            "scope": "Payroll controls",
            "completedAt": datetime.now(UTC).isoformat(),
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
    org.settle()

    # every effect once, though a worker died and both took turns
    state = org.state()
    # reviews: the closure's, then the audit's (with its finding as a draft lesson)
    expected_events = {
        "review.opened": 2,
        "review.completed": 1,
        "lessons.recommended": 3,
        "lesson.recurred": 1,
        "processmodel.custodian.changed": 1,
        "lesson.verification_due": 1,
    }
    assert {k: state["kb events"].get(f"org.pmo.kb.{k}") for k in expected_events} == (
        expected_events
    ), state
    assert (state["briefings"], state["reviews"], state["runs not done"]) == (3, 2, 0)
    with org.kb.db.read() as s:  # what the killed worker held, the other one finished
        assert s.get(HandlerRun, killed.id).lease_owner == org.workers["worker-2"]
    recurred = org.emitted("lesson.recurred")
    assert [(e.data["id"], e.data["recurred_in"]) for e in recurred] == [
        ("LL-2024-0001", late["id"])
    ]
    audit = [
        e
        for e in org.api("cora", "GET", "/api/projects/ORION/review")["lessons"]
        if e.get("source") == "audit"
    ]
    assert [(e["finding"], e["status"]) for e in audit] == [("F1", "draft")]
    # e-mail is at least once: only a worker killed between the server's "accepted" and its
    # own record (one delivery thread: at most one message) sends a message twice
    received = len(mailbox.received)
    assert state["mails"] <= received <= state["mails"] + 1
    assert {m["X-Envelope-To"] for m in mailbox.received} >= {MARIA}

    # every event again, to either host: accepted, and nothing more happens
    for event in org.sent:
        org.send(event["type"].removeprefix("org.pmo."), event["data"], event_id=event["id"])
    org.settle()
    assert org.state() == state
    assert len(mailbox.received) == received

    _searchable_everywhere(
        org,
        {
            "bank interface specification arrived late": late["id"],
            "parallel payroll runs": well["id"],
            "four-eyes approval": audit[0]["id"],
            "Monthly payroll run": "PM-0101",
        },
    )
