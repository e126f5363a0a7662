"""kb at scale, for real: two gunicorn hosts (two worker processes each, one started with
--preload, each host with its own index folder) and two `kb worker` processes on one
throw-away PostgreSQL database. A project's CloudEvents and its people's API calls alternate
between the hosts; one worker is killed with SIGKILL midway. Every effect happens once, every
event sent again changes nothing, and every change is searchable on both hosts."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from kb.accounts.viewer import SYSTEM
from kb.config import Config
from kb.context import Kb
from kb.documents import lifecycle
from kb.documents import services as documents
from kb.documents.transfer import import_tree
from kb.events.jobs.models import HandlerRun
from kb.events.log.models import Event
from kb.search.store import FollowerRole
from tests.pg import throwaway_database

from .fleet import Fleet
from .organisation import CONTENT, SECRET, Organisation
from .test_project_life import MARIA, PAYROLL_MODEL, PROJECT, register_orion


@pytest.fixture
def database():
    """A database of its own: four web processes, two workers and the test share it."""
    with throwaway_database() as url:
        yield url


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
