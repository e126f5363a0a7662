"""The PMO's task page and API: open tasks by kind, marking one done (who, when, note, audit,
event), and who may."""

from __future__ import annotations

import html as htmllib
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from kb.accounts.models import AuditEntry
from kb.accounts.viewer import Viewer
from kb.core.errors import Conflict, Forbidden, NotFound, ValidationError
from kb.events.log.models import Event
from kb.tasks import services as task_list
from kb.tasks.models import Task

CURATOR = Viewer("cora", "curator")


@pytest.fixture
def made(kb, make_lesson):
    """One task of each kind kb makes, oldest first, plus one done already."""
    lesson = make_lesson("Goods were put away before inspection")
    secret = make_lesson("Stock write-off hidden", visibility="restricted", groups="[finance]")
    start = datetime(2026, 10, 1, 9, tzinfo=UTC)
    rows = [
        Task(
            kind="revalidate_lesson",
            subject=f"lessons/{lesson.id}",
            assignee="PMO",
            status="open",
            created_at=start,
            details={
                "id": lesson.id,
                "title": lesson.title,
                "project": "ATLAS",
                "process_id": "PM-0005",
                "version": "2.2",
                "process_title": "Goods receipt",
            },
        ),
        Task(
            kind="confirm_bau_owner",
            subject="processes/PM-0005",
            assignee="PMO",
            status="open",
            created_at=start + timedelta(days=1),
            details={
                "id": "PM-0005",
                "title": "Goods receipt",
                "owner": "Head of Warehouse",
                "former_custodian": "Harbour team",
                "project": "HARBOUR",
            },
        ),
        Task(
            kind="verify_lesson",
            subject=f"lessons/{secret.id}",
            assignee="PMO",
            status="open",
            created_at=start + timedelta(days=2),
            details={"id": secret.id, "title": secret.title, "project": "ATLAS", "audit": "AUD-7"},
        ),
        Task(
            kind="confirm_bau_owner",
            subject="processes/PM-0009",
            assignee="PMO",
            status="done",
            created_at=start,
            done_at=start + timedelta(days=3),
            done_by="cora",
            note="Owner is the CFO",
            details={"id": "PM-0009", "title": "Cut-over"},
        ),
    ]
    with kb.db.write() as s:
        s.add_all(rows)
        s.flush()
        ids = [t.id for t in rows]
    return {"lesson": lesson, "secret": secret, "ids": ids}


def task(kb, task_id: int) -> Task:
    with kb.db.read() as s:
        return s.get(Task, task_id)


def test_service_lists_and_completes(kb, made):
    assert [t.kind for t in task_list.list_tasks(kb.db)] == [
        "revalidate_lesson",
        "confirm_bau_owner",
        "verify_lesson",
    ]
    grouped = task_list.by_kind(task_list.list_tasks(kb.db))
    assert [k for k, _ in grouped] == ["confirm_bau_owner", "verify_lesson", "revalidate_lesson"]
    assert [t.id for t in task_list.list_tasks(kb.db, kind="verify_lesson")] == [made["ids"][2]]
    assert [t.id for t in task_list.list_tasks(kb.db, status="done")] == [made["ids"][3]]
    assert len(task_list.list_tasks(kb.db, status=None)) == 4

    first = made["ids"][1]
    done = task_list.complete_task(kb.db, first, viewer=CURATOR, note="  BAU owner: Head of Ops ")
    assert (done.status, done.done_by, done.note) == ("done", "cora", "BAU owner: Head of Ops")
    assert done.done_at is not None
    with kb.db.read() as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "task.completed"))
        [event] = s.scalars(select(Event).where(Event.type == "org.pmo.kb.task.completed"))
    assert (entry.actor, entry.target) == ("cora", f"tasks/{first}")
    assert entry.details["subject"] == "processes/PM-0005"
    assert event.subject == "processes/PM-0005" and event.partition_key == "HARBOUR"
    assert event.data["id"] == "PM-0005" and event.data["task"] == first
    assert (event.data["kind"], event.data["done_by"], event.data["note"]) == (
        "confirm_bau_owner",
        "cora",
        "BAU owner: Head of Ops",
    )

    with pytest.raises(Conflict):
        task_list.complete_task(kb.db, first, viewer=CURATOR)
    assert task(kb, first).note == "BAU owner: Head of Ops"  # the first answer stands


def test_service_refuses(kb, made):
    second = made["ids"][2]
    with pytest.raises(Forbidden):
        task_list.complete_task(kb.db, second, viewer=Viewer("cleo", "contributor"))
    with pytest.raises(NotFound):
        task_list.complete_task(kb.db, 999_999, viewer=CURATOR)
    with pytest.raises(ValidationError):
        task_list.complete_task(kb.db, second, viewer=CURATOR, note="x" * 2001)
    with pytest.raises(ValidationError):
        task_list.complete_task(kb.db, second, viewer=CURATOR, note=["not", "text"])
    with pytest.raises(ValidationError):
        task_list.list_tasks(kb.db, kind="Robert'); DROP TABLE tasks;--")
    with pytest.raises(ValidationError):
        task_list.list_tasks(kb.db, status="closed")
    assert task(kb, second).status == "open"  # nothing half-written


def test_the_page_groups_open_tasks_by_kind(kb, made, login_as):
    page = login_as("curator", "cora").get("/tasks")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    order = [
        html.index(h)
        for h in (
            "Confirm a business-as-usual owner",
            "Verify that an actioned lesson worked",
            "Revalidate a lesson after its process model changed",
        )
    ]
    assert order == sorted(order)
    assert f'href="/lessons/{made["lesson"].id}"' in html and 'href="/processes/PM-0005"' in html
    assert "Stock write-off hidden" in html  # curators read restricted lessons
    assert "After audit AUD-7" in html and "is now version 2.2" in html
    assert "Owner on record: Head of Warehouse" in html
    assert html.count('class="task-done-form"') == 3 and 'name="csrf_token"' in html
    assert "Cut-over" not in html  # done: on the done list only
    done = login_as("curator", "cid").get("/tasks?status=done").get_data(as_text=True)
    assert "Cut-over" in done and "Done by cora" in done and "Owner is the CFO" in done
    assert 'class="task-done-form"' not in done


def test_the_done_button(kb, made, login_as):
    cora = login_as("curator", "cora")
    target = made["ids"][0]
    answer = cora.post(f"/tasks/{target}/done", data={"note": "Still valid"})
    assert answer.status_code == 303 and answer.location.endswith("/tasks")
    page = cora.get("/tasks").get_data(as_text=True)
    assert "Done: Revalidate a lesson" in page
    row = task(kb, target)
    assert (row.status, row.done_by, row.note) == ("done", "cora", "Still valid")
    again = cora.post(f"/tasks/{target}/done", data={})
    assert again.status_code == 303
    assert "Task not marked done" in cora.get("/tasks").get_data(as_text=True)
    assert cora.post("/tasks/999999/done").status_code == 404
    for role in ("reader", "contributor"):
        other = login_as(role)
        assert other.get("/tasks").status_code == 403
        assert other.post(f"/tasks/{made['ids'][1]}/done").status_code == 403
    assert task(kb, made["ids"][1]).status == "open"


def test_the_api(kb, made, login_as, app):
    cora = login_as("curator", "cora")
    body = cora.get("/api/tasks").json
    assert [t["id"] for t in body["tasks"]] == made["ids"][:3]
    first = body["tasks"][0]
    assert first["details"]["process_id"] == "PM-0005" and first["done_at"] is None
    assert [t["id"] for t in cora.get("/api/tasks?kind=verify_lesson").json["tasks"]] == [
        made["ids"][2]
    ]
    assert [t["note"] for t in cora.get("/api/tasks?status=done").json["tasks"]] == [
        "Owner is the CFO"
    ]
    assert len(cora.get("/api/tasks?status=all").json["tasks"]) == 4
    bad = cora.get("/api/tasks?status=closed")
    assert bad.status_code == 400 and "status" in bad.json["error"]["message"]
    assert cora.get("/api/tasks?kind=no%20such").status_code == 400

    url = f"/api/tasks/{made['ids'][2]}/done"
    assert cora.post(url, json=["a list"]).status_code == 400
    assert cora.post(url, json={"note": 5}).status_code == 400
    done = cora.post(url, json={"note": "Verified in the Q3 audit"})
    assert done.status_code == 200, done.json
    assert (done.json["status"], done.json["done_by"], done.json["note"]) == (
        "done",
        "cora",
        "Verified in the Q3 audit",
    )
    assert cora.post(url).status_code == 409
    assert cora.post("/api/tasks/999999/done").status_code == 404
    nobody = cora.post(f"/api/tasks/{made['ids'][1]}/done")  # no body: a note is optional
    assert nobody.status_code == 200 and nobody.json["note"] is None

    reader = login_as("reader", "rita")
    assert reader.get("/api/tasks").status_code == 403
    assert reader.post(f"/api/tasks/{made['ids'][0]}/done").status_code == 403
    assert task(kb, made["ids"][0]).status == "open"
    spec = app.test_client().get("/api/openapi.json").json["paths"]
    assert "get" in spec["/api/tasks"] and "post" in spec["/api/tasks/{task_id}/done"]


def test_the_queue_links_to_the_tasks(login_as):
    html = login_as("curator", "cora").get("/queue").get_data(as_text=True)
    assert 'href="/tasks"' in html


def test_the_done_button_carries_the_csrf_token(kb, made, login_as, app):
    app.config["WTF_CSRF_ENABLED"] = True
    cora = login_as("curator", "cora")
    target = made["ids"][1]
    assert cora.post(f"/tasks/{target}/done").status_code == 400  # no token
    assert task(kb, target).status == "open"
    page = cora.get("/tasks").get_data(as_text=True)
    token = re.search(r'class="task-done-form".*?name="csrf_token" value="([^"]+)"', page, re.S)
    done = cora.post(f"/tasks/{target}/done", data={"csrf_token": htmllib.unescape(token.group(1))})
    assert done.status_code == 303 and task(kb, target).status == "done"
