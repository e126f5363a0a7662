"""The backbone end to end: the project register follows project events, a killed worker
loses nothing, and two hosts keep their own search index from one database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, func, select

from kb.config import Config
from kb.context import Kb
from kb.core.time import utcnow
from kb.documents import services
from kb.events.jobs.models import HandlerRun
from kb.events.log.models import Event
from kb.events.log.services import lock_log
from kb.projects.models import Project

KB = Path(sys.executable).with_name("kb")


def project_event(short: str, key: str, partition_key: str | None = None, **data) -> Event:
    project = {"projectId": key, "name": data.pop("name", f"Project {key}")}
    return Event(
        source="urn:pmo:test",
        event_id=str(uuid.uuid4()),
        type=f"org.pmo.{short}",
        time=utcnow(),
        data={"project": project, **data},
        partition_key=partition_key or key,
    )


def post(kb, *events: Event) -> None:
    with kb.db.write() as s:
        lock_log(s)
        s.add_all(events)


def test_project_events_keep_the_register(kb):
    # before the review this closure opens falls due: the worker's sweep stays quiet
    kb.worker.clock = lambda: datetime(2026, 10, 5, tzinfo=UTC)
    post(
        kb,
        project_event(
            "project.created",
            "ORION",
            name="Orion CRM",
            plannedStart="2026-01-05",
            plannedEnd="2026-09-30",
            tags=[],
        ),
        project_event(
            "project.started",
            "ORION",
            name="Orion CRM",
            actualStart="2026-01-12",
            managerEmail="pm@example.org",
            tags=[],
        ),
        project_event(
            "project.closed",
            "ORION",
            name="Orion CRM",
            closedAt="2026-10-02T16:00:00Z",
            closureType="completed",
            managerEmail="pm@example.org",
            processModels=[],
        ),
    )
    kb.worker.run_pending()
    with kb.db.read() as s:
        orion = s.get(Project, "ORION")
        kb_events = list(
            s.scalars(
                select(Event.type)
                .where(Event.source == "urn:pmo:kb", Event.type.like("org.pmo.kb.project.%"))
                .order_by(Event.seq)
            )
        )
    assert (orion.name, orion.status, orion.manager) == ("Orion CRM", "closed", "pm@example.org")
    assert (str(orion.started_on), str(orion.closed_on)) == ("2026-01-12", "2026-10-02")
    assert kb_events == [
        "org.pmo.kb.project.created",
        "org.pmo.kb.project.updated",
        "org.pmo.kb.project.updated",
    ]
    # the same events acted on again change nothing
    from kb.events.jobs import admin

    admin.replay(kb.db, kb.registry, from_seq=1)
    kb.worker.run_pending()
    with kb.db.read() as s:
        assert (
            s.scalar(select(func.count()).where(Event.source == "urn:pmo:kb")) == 4
        )  # + review.opened


def test_a_claims_project_events_change_the_register_as_one_by_one(kb):
    """The register handler takes a claim's events together (one query, one flush, the
    events appended together): the register and kb's own events come out as when each run
    is claimed alone, a project named twice in the claim included."""
    kb.worker.clock = lambda: datetime(2026, 10, 5, tzinfo=UTC)

    def events(prefix: str) -> list[Event]:
        atlas, boreas = f"{prefix}-ATLAS", f"{prefix}-BOREAS"
        created = {"plannedStart": "2026-01-05", "plannedEnd": "2026-09-30", "tags": []}
        return [
            project_event("project.created", atlas, name="Atlas", **created),
            project_event("project.created", boreas, name="Boreas", portfolio="Ops", **created),
            # a partition key of its own: in the same claim as the project's creation
            project_event(
                "project.started",
                atlas,
                partition_key=f"{atlas}-2",
                name="Atlas",
                actualStart="2026-01-12",
                managerEmail="pm@example.org",
                tags=[],
            ),
            project_event(
                "project.stagegate.passed",
                boreas,
                name="Boreas renamed",
                gate={"id": "G2", "name": "Design", "sequence": 2},
                decision="go",
                decidedAt="2026-03-01T10:00:00Z",
                nextStage="build",
            ),
            project_event(  # changes nothing: no event
                "project.created", atlas, partition_key=f"{atlas}-3", name="Atlas", **created
            ),
        ]

    def outcome(prefix: str) -> tuple[list, list]:
        with kb.db.read() as s:
            register = [
                (p.key.removeprefix(prefix), p.name, p.status, p.portfolio, p.manager)
                + (p.started_on, p.closed_on, p.description)
                for p in s.scalars(
                    select(Project).where(Project.key.like(f"{prefix}-%")).order_by(Project.key)
                )
            ]
            said = [
                (e.type, e.subject.replace(prefix, ""), {**e.data, "key": e.data["key"][4:]})
                for e in s.scalars(
                    select(Event)
                    .where(Event.source == "urn:pmo:kb", Event.subject.like(f"%{prefix}-%"))
                    .order_by(Event.seq)
                )
            ]
        return register, said

    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        statements.append(statement)

    post(kb, *events("ONE"))
    event.listen(kb.db.engine, "before_cursor_execute", seen)
    assert kb.worker.run_pending(batch=1) == 7  # a claim of one run each
    alone, statements[:] = list(statements), []
    post(kb, *events("TWO"))
    assert kb.worker.run_pending() == 7
    event.remove(kb.db.engine, "before_cursor_execute", seen)
    # together: the claim's projects read in one query, and nothing failed (no savepoints)
    read_together = [x for x in statements if "FROM projects" in x and " IN (" in x]
    assert len(read_together) == 1 and not any(x.startswith("SAVEPOINT") for x in statements)
    assert not any("FROM projects" in x and " IN (" in x for x in alone)
    with kb.db.read() as s:
        assert set(s.scalars(select(HandlerRun.status))) == {"done"}
    one, two = outcome("ONE"), outcome("TWO")
    assert one == two
    assert [row[:3] for row in two[0]] == [
        ("-ATLAS", "Atlas", "active"),
        ("-BOREAS", "Boreas renamed", "active"),
    ]
    assert [(t.rsplit(".", 1)[1], d["key"]) for t, _, d in two[1]] == [
        ("created", "ATLAS"),
        ("created", "BOREAS"),
        ("updated", "ATLAS"),
        ("updated", "BOREAS"),
    ]


def test_a_killed_worker_loses_nothing(kb, config, tmp_path):
    projects = 40
    events = []
    for n in range(projects):
        key = f"P{n:03d}"
        events += [
            project_event("project.created", key, name=f"Project {n}", tags=[]),
            project_event(
                "project.started", key, actualStart="2026-02-01", managerEmail="a@b.c", tags=[]
            ),
            project_event(
                "project.stagegate.passed",
                key,
                gate={"id": "G2", "name": "Design", "sequence": 2},
                decision="go",
                decidedAt="2026-03-01T10:00:00Z",
                nextStage="Build",
            ),
            project_event(
                "project.started", key, actualStart="2026-02-01", managerEmail="a@b.c", tags=[]
            ),
            project_event(
                "project.closed",
                key,
                closedAt="2026-06-30T12:00:00Z",
                closureType="cancelled" if n % 2 else "completed",
                managerEmail="a@b.c",
                processModels=[],
            ),
        ]
    post(
        kb, *events
    )  # 200 events, 360 runs (register on each; review on closure; briefing on start x2 and gate)
    env = dict(os.environ, KB_DATABASE_URL=config.DATABASE_URL, KB_INDEX_DIR=config.INDEX_DIR)
    # the runs of the posted events (kb's own events, e.g. review.opened, get runs on top:
    # notifications)
    inbound = HandlerRun.event_seq.in_(select(Event.seq).where(Event.source != "urn:pmo:kb"))

    def done() -> int:
        with kb.db.read() as s:
            return s.scalar(select(func.count()).where(HandlerRun.status == "done", inbound)) or 0

    def start(log: str) -> subprocess.Popen:
        with open(tmp_path / log, "wb") as out:  # the child keeps its own descriptor
            return subprocess.Popen(
                [str(KB), "worker", "--lease", "1", "--interval", "0.05"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    first = start("first.log")
    deadline = time.monotonic() + 300  # waits on the count; the time only bounds a hang
    while done() < 40 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(first.pid, signal.SIGKILL)  # mid-work: some runs are claimed and unfinished
    first.wait()
    interrupted = done()
    assert 40 <= interrupted < 360, (tmp_path / "first.log").read_text()[-2000:]

    second = start("second.log")
    try:
        deadline = time.monotonic() + 600
        while done() < 360 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        second.terminate()
        try:
            second.wait(120)  # a loaded machine may take a while to let it finish its run
        except subprocess.TimeoutExpired:
            second.kill()
            second.wait()
    with kb.db.read() as s:
        runs = list(s.scalars(select(HandlerRun).where(inbound)))
        registered = list(s.scalars(select(Project)))
        emitted = {
            kind: s.scalar(select(func.count()).where(Event.type.like(f"org.pmo.kb.{kind}.%")))
            for kind in ("project", "review")
        }
        opened = s.scalar(select(func.count()).where(Event.type == "org.pmo.kb.review.opened"))
    assert len(runs) == 360 and {r.status for r in runs} == {"done"}
    assert len({r.lease_owner for r in runs}) == 2  # both workers finished some
    assert len(registered) == projects
    assert {p.status for p in registered if int(p.key[1:]) % 2} == {"cancelled"}
    assert {p.status for p in registered if not int(p.key[1:]) % 2} == {"closed"}
    # each project: created, started (update), closed (update); repeats and the gate change
    # nothing, so any effect applied twice or out of order would show here; plus one
    # review.opened per closed project
    assert emitted["project"] == projects * 3 and opened == projects
    # (review.overdue too, from the workers' sweeps in real time: these closures are old)
    assert emitted["review"] >= projects


def test_two_hosts_keep_their_own_index_from_one_database(kb, config, tmp_path, lesson_md):
    other = Kb.open(
        Config(
            DATABASE_URL=config.DATABASE_URL,
            INDEX_DIR=str(tmp_path / "host-b"),
            INDEXER_INTERVAL=0.05,
        )
    )
    other.projection.catch_up()
    other.follower.start()
    try:
        doc = services.create_document(
            kb.db,
            lesson_md("Cutover rehearsal saved the weekend"),
            actor="host a",
            type_hint="lesson",
        )
        # how fast is bench/events.py's business; here: it arrives (30 s for a loaded machine)
        started = time.monotonic()
        while time.monotonic() - started < 30:
            if [h.id for h in other.index.query("rehearsal").hits] == [doc.id]:
                break
            time.sleep(0.02)
        assert [h.id for h in other.index.query("rehearsal").hits] == [doc.id]
    finally:
        other.close()
