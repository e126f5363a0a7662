"""`org.pmo.process.changed` updates the model register: a new revision with the version (and
the retired status), the linked lessons flagged for revalidation, `processmodel.updated`
emitted; an unknown process is recorded; the same event twice changes nothing more."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from kb.accounts.viewer import Viewer
from kb.actions import services as actions
from kb.documents import services as documents
from kb.events.log.models import Event
from kb.events.log.services import lock_log
from kb.processes import services as processes
from kb.processes.models import ProcessChange
from kb.tasks.models import Task

CURATOR = Viewer("cora", "curator")
# odd spacing and a comment on purpose: only the version value may change
MODEL = (
    "---\nid: PM-0005\ntitle: Goods receipt and put-away\nstatus: published\n"
    'version:   "1.0"   # from the BPM tool\nstate: as-is\nowner: Head of Warehouse\n'
    "project: HARBOUR\ntags: [warehouse,   as-is]\n---\n\n"
    "## Purpose\n\nReceive goods.   Trailing spaces stay.  \n"
)
OTHER_MODEL = "---\nid: PM-0050\ntitle: Invoice approval\nstatus: published\n---\n\nBody.\n"


@pytest.fixture(autouse=True)
def quiet_clock(kb):
    """No review sweeps to worry about: pin the worker's clock."""
    kb.worker.clock = lambda: datetime(2026, 10, 5, tzinfo=UTC)


def changed_event(process_id: str = "pm-0005", **data) -> Event:
    payload = {
        "processId": process_id,
        "version": "2.2",
        "changeType": "updated",
        "effectiveFrom": "2026-11-01",
        "changedBy": "Head of Warehouse",
        "summary": "Quarantine location before put-away.",
    }
    payload.update(data)
    return Event(
        source="urn:pmo:bpm",
        event_id=str(uuid.uuid4()),
        type="org.pmo.process.changed",
        time=datetime.now(UTC),
        data=payload,
    )


def post(kb, *events: Event) -> None:
    with kb.db.write() as s:
        lock_log(s)
        s.add_all(events)
    kb.worker.run_pending()


def seq_of(kb, event: Event) -> int:
    with kb.db.read() as s:
        return s.scalar(select(Event.seq).where(Event.event_id == event.event_id))


def updates(kb) -> list[Event]:
    """kb's processmodel.updated events of this feature (the revision's own have no change_type)."""
    with kb.db.read() as s:
        found = s.scalars(
            select(Event).where(Event.type == "org.pmo.kb.processmodel.updated").order_by(Event.seq)
        )
        return [e for e in found if "change_type" in (e.data or {})]


def revalidation_tasks(kb) -> list[Task]:
    with kb.db.read() as s:
        return list(
            s.scalars(select(Task).where(Task.kind == "revalidate_lesson").order_by(Task.id))
        )


def counts(kb) -> dict:
    with kb.db.read() as s:
        return {
            "events": s.scalar(select(func.count()).select_from(Event)),
            "changes": s.scalar(select(func.count()).select_from(ProcessChange)),
            "tasks": s.scalar(select(func.count()).select_from(Task)),
            "version": documents.get_document(kb.db, "PM-0005").version,
        }


@pytest.fixture
def linked(kb, make_lesson, make_project):
    """PM-0005 and the lessons that do and do not rely on it."""
    make_project("HARBOUR")
    documents.create_document(kb.db, MODEL, actor="tester", type_hint="process")
    documents.create_document(kb.db, OTHER_MODEL, actor="tester", type_hint="process")
    by_action = make_lesson("Goods were put away before inspection")
    actions.add_action(
        kb.db,
        by_action.id,
        viewer=CURATOR,
        description="Add a quarantine step",
        owner="owen",
        due_on="2026-12-31",
        target_kind="process_model",
        target_ref="PM-0005",
    )
    ids = {
        "action": by_action.id,
        "listed": make_lesson("Put-away labels were unreadable", processes="[PM-0050, pm-0005]").id,
        "link": make_lesson("Scanners were shared", process="/processes/PM-0005").id,
        "restricted": make_lesson(
            "Stock write-off hidden",
            processes="[PM-0005]",
            visibility="restricted",
            groups="[finance]",
        ).id,
        "draft": make_lesson("Draft about receipts", status="draft", processes="[PM-0005]").id,
        "rejected": make_lesson(
            "Rejected about receipts", status="rejected", processes="[PM-0005]"
        ).id,
        "other": make_lesson("Invoices waited for approval", processes="[PM-0050]").id,
        "lookalike": make_lesson("Not this model", processes="[PM-00051]").id,
    }
    return ids


def test_an_update_revises_the_model_flags_lessons_and_emits(kb, linked):
    before = documents.get_document(kb.db, "PM-0005")
    post(kb, changed_event())

    model = documents.get_document(kb.db, "PM-0005")
    assert (model.version, model.model_version, model.status) == (
        before.version + 1,
        "2.2",
        "published",
    )
    revision = documents.get_revision(kb.db, "PM-0005", model.version)
    assert revision.markdown == MODEL.replace('version:   "1.0"', "version:   '2.2'")
    assert revision.author == "kb" and "Head of Warehouse" in revision.message

    flagged = sorted([linked["action"], linked["listed"], linked["link"], linked["restricted"]])
    tasks = revalidation_tasks(kb)
    assert sorted(t.subject for t in tasks) == [f"lessons/{i}" for i in flagged]
    by_subject = {t.subject: t for t in tasks}
    task = by_subject[f"lessons/{linked['listed']}"]
    assert (task.assignee, task.status) == ("PMO", "open")
    assert task.details["id"] == linked["listed"]
    assert task.details["title"] == "Put-away labels were unreadable"
    assert (task.details["project"], task.details["process_id"], task.details["version"]) == (
        "ATLAS",
        "PM-0005",
        "2.2",
    )

    [change] = processes.list_changes(kb.db, "PM-0005")
    assert (change.process_id, change.version, change.change_type) == ("PM-0005", "2.2", "updated")
    assert change.effective_from == date(2026, 11, 1) and change.document_id == "PM-0005"
    assert sorted(change.flagged_lessons) == flagged

    [event] = updates(kb)
    assert event.subject == "processes/PM-0005" and event.partition_key == "HARBOUR"
    assert event.data == {
        "id": "PM-0005",
        "process_id": "PM-0005",
        "title": "Goods receipt and put-away",
        "version": "2.2",
        "change_type": "updated",
        "effective_from": "2026-11-01",
        "changed_by": "Head of Warehouse",
        "summary": "Quarantine location before put-away.",
        "flagged_lessons": event.data["flagged_lessons"],
    }
    assert sorted(event.data["flagged_lessons"]) == flagged


def test_the_same_event_twice_changes_nothing_more(kb, linked):
    event = changed_event()
    post(kb, event)
    before = counts(kb)
    seq = seq_of(kb, event)
    with kb.db.write() as s:
        assert processes.on_process_changed(s, s.get(Event, seq).data, event_seq=seq) is None
    kb.worker.run_pending()
    assert counts(kb) == before


def test_one_open_task_per_lesson_and_version(kb, linked):
    post(kb, changed_event())
    first = counts(kb)
    # the same version announced again by another event: recorded and emitted, no new revision
    # and no second task
    post(kb, changed_event(summary="Announced twice"))
    again = counts(kb)
    assert again["changes"] == first["changes"] + 1 and again["tasks"] == first["tasks"]
    assert again["version"] == first["version"] and len(updates(kb)) == 2
    # a new version: one more task per lesson
    post(kb, changed_event(version=2.3))
    tasks = revalidation_tasks(kb)
    assert len(tasks) == 8
    assert sorted({t.details["version"] for t in tasks}) == ["2.2", "2.3"]
    assert documents.get_document(kb.db, "PM-0005").model_version == "2.3"


def test_a_retirement_sets_the_retired_status(kb, linked):
    post(kb, changed_event(version="3.0", changeType="retired", summary="Replaced by PM-0050."))
    model = documents.get_document(kb.db, "PM-0005")
    assert (model.status, model.model_version) == ("retired", "3.0")
    markdown = documents.get_revision(kb.db, "PM-0005", model.version).markdown
    assert "status: retired\n" in markdown and "version:   '3.0'   # from the BPM tool" in markdown
    [event] = updates(kb)
    assert event.data["change_type"] == "retired" and len(event.data["flagged_lessons"]) == 4


def test_an_unknown_process_is_recorded_flags_nothing_and_is_announced(kb, linked):
    before = counts(kb)
    post(kb, changed_event("BPM-17", changeType="created", version=1))
    after = counts(kb)
    assert after["changes"] == before["changes"] + 1
    assert (after["tasks"], after["version"]) == (before["tasks"], before["version"])
    [change] = processes.list_changes(kb.db, "bpm-17")
    assert (change.document_id, change.version, change.flagged_lessons) == (None, "1", [])
    [event] = updates(kb)
    assert event.subject == "processes/BPM-17" and event.partition_key is None
    assert event.data["id"] is None and event.data["title"] is None
    assert event.data["process_id"] == "BPM-17" and event.data["flagged_lessons"] == []


def test_an_older_change_arriving_late_does_not_overwrite_a_newer_one(kb, linked):
    older, newer = changed_event(version="2.2"), changed_event(version="2.3")
    with kb.db.write() as s:
        lock_log(s)
        s.add_all([older, newer])
    seq = seq_of(kb, newer)
    with kb.db.write() as s:  # the newer one's run happens to go first
        processes.on_process_changed(s, s.get(Event, seq).data, event_seq=seq)
    kb.worker.run_pending()
    assert documents.get_document(kb.db, "PM-0005").model_version == "2.3"
    assert [c.version for c in processes.list_changes(kb.db, "PM-0005")] == ["2.3", "2.2"]


def test_a_version_too_long_for_the_format_is_recorded_only(kb, linked):
    before = counts(kb)
    post(kb, changed_event(version="v" * 40))
    after = counts(kb)
    assert after["version"] == before["version"] and after["changes"] == before["changes"] + 1
    assert after["tasks"] == before["tasks"] + 4  # the lessons are flagged all the same


def test_the_change_history_api(kb, linked, login_as):
    post(kb, changed_event())
    post(kb, changed_event(version="2.3", summary="Second"))
    outsider = login_as("reader", "otto")
    body = outsider.get("/api/processes/pm-0005/changes").json
    assert (body["process_id"], body["id"], body["title"]) == (
        "PM-0005",
        "PM-0005",
        "Goods receipt and put-away",
    )
    assert [c["version"] for c in body["changes"]] == ["2.3", "2.2"]
    assert body["changes"][0]["summary"] == "Second"
    shown = body["changes"][0]["flagged_lessons"]
    assert linked["listed"] in shown and linked["restricted"] not in shown
    member = login_as("reader", "fay", groups=["finance"])
    assert (
        linked["restricted"]
        in member.get("/api/processes/PM-0005/changes").json["changes"][0]["flagged_lessons"]
    )

    assert outsider.get("/api/processes/PM-0999/changes").status_code == 404
    post(kb, changed_event("BPM-17"))
    unknown = outsider.get("/api/processes/BPM-17/changes").json
    assert unknown["id"] is None and [c["process_id"] for c in unknown["changes"]] == ["BPM-17"]
    spec = outsider.get("/api/openapi.json").json["paths"]
    assert "/api/processes/{doc_id}/changes" in spec


def test_a_restricted_model_and_its_changes_are_hidden(kb, login_as):
    documents.create_document(
        kb.db,
        "---\nid: PM-0077\ntitle: Payroll run\nvisibility: restricted\ngroups: [hr]\n---\n\nx\n",
        actor="tester",
        type_hint="process",
    )
    post(kb, changed_event("PM-0077"))
    assert login_as("reader", "otto").get("/api/processes/PM-0077/changes").status_code == 404
    hr = login_as("reader", "hana", groups=["hr"]).get("/api/processes/PM-0077/changes")
    assert hr.status_code == 200 and hr.json["changes"][0]["version"] == "2.2"
