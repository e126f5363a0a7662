"""Lessons <-> process models: an action targets a model, a model version cites the lessons
it addresses (`addresses:`), both pages show the link with its status, and publishing the
citing version closes the lesson's action targeting the model (the lesson moves on)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from kb.accounts.viewer import Viewer
from kb.actions import services as actions
from kb.documents import services as documents
from kb.events.log.models import Event
from kb.processes.governance import take_step

CURATOR = Viewer("cora", "curator")
ACTION = {
    "description": "Add a fast lane to the approval",
    "owner": "owen",
    "due_on": "2026-12-31",
    "target_kind": "process_model",
}
DRAFT = (
    '---\nid: PM-0042\ntitle: Procurement approval\nstatus: draft\nversion: "4"\n'
    "approvers: [cora]\naddresses: [{lesson}]\n---\n\n## Steps\n\n### Buyer\n1. **Raise the order.**\n"
)


@pytest.fixture(autouse=True)
def quiet_clock(kb):
    kb.worker.clock = lambda: datetime(2026, 10, 5, tzinfo=UTC)


@pytest.fixture
def linked(kb, make_lesson, make_user):
    make_user("cora", "curator")
    lesson = make_lesson("Approvals took three weeks")
    other = make_lesson("Another lesson on approvals")
    model = documents.create_document(
        kb.db, DRAFT.format(lesson=lesson.id), actor="tester", type_hint="process"
    )
    for each in (lesson, other):
        actions.add_action(kb.db, each.id, viewer=CURATOR, target_ref=model.id, **ACTION)
    kb.worker.run_pending()
    return lesson, other, model


def publish(kb, model) -> None:
    """Through the approval workflow: its `processmodel.published` closes the actions."""
    take_step(kb.db, model.id, "submit", viewer=CURATOR)
    take_step(kb.db, model.id, "approve", viewer=CURATOR)
    take_step(kb.db, model.id, "publish", viewer=CURATOR, note="A fast lane for small orders.")
    kb.worker.run_pending()


def test_publishing_the_citing_version_closes_the_action_and_moves_the_lesson_on(kb, linked):
    lesson, other, model = linked
    assert documents.get_document(kb.db, lesson.id).status == "in_action"
    [action] = actions.list_actions(kb.db, lesson)
    assert action.status == "open"
    publish(kb, model)
    [action] = actions.list_actions(kb.db, lesson)
    assert action.status == "closed" and action.closed_by == "kb"
    assert "PM-0042 Procurement approval v4, published" in action.closing_note
    assert documents.get_document(kb.db, lesson.id).status == "actioned"
    # the lesson the version does not cite keeps its action open
    assert [a.status for a in actions.list_actions(kb.db, other)] == ["open"]
    with kb.db.read() as s:
        closed = s.scalars(
            select(Event).where(Event.type == "org.pmo.kb.lesson.action.closed")
        ).all()
    assert [e.data["lesson"] for e in closed] == [lesson.id]
    # the next version, citing the lesson too, is published: nothing more closes
    draft = documents.get_revision(kb.db, model.id)
    documents.update_document(
        kb.db, model.id, draft.markdown + "\nMore.\n", base_version=draft.number, actor="cora"
    )
    publish(kb, model)
    with kb.db.read() as s:
        assert len(s.scalars(select(Event).where(Event.type.like("%action.closed"))).all()) == 1


def test_both_pages_show_the_link_with_its_status(kb, linked, client):
    lesson, other, model = linked
    page = client.get(f"/lessons/{lesson.id}").get_data(as_text=True)
    assert f"{lesson.id}</a> →" in page and "Procurement approval</a> v4," in page
    assert "draft" in page.split("process-links-title")[2]
    publish(kb, model)
    today = datetime.now(UTC).date().isoformat()
    model_page = client.get(f"/processes/{model.id}").get_data(as_text=True)
    links = model_page.split("process-links-title")[2]
    assert lesson.id in links and other.id in links
    assert f'published <time datetime="{today}">{today}</time>' in links
    assert "cites the lesson" in links and "closed" in links
    # the API says the same
    [from_lesson] = client.get(f"/api/lessons/{lesson.id}").json["process_links"]
    assert from_lesson["text"] == f"{lesson.id} → Procurement approval v4, published {today}"
    assert from_lesson["cited"] is True and from_lesson["actions"][0]["status"] == "closed"
    from_model = client.get(f"/api/processes/{model.id}").json["lesson_links"]
    assert [x["lesson"] for x in from_model] == [lesson.id, other.id]
    assert [x["cited"] for x in from_model] == [True, False]


def test_a_lesson_the_viewer_may_not_read_is_not_shown(kb, make_lesson, login_as):
    hidden = make_lesson("Board approvals", visibility="restricted", groups="[board]")
    model = documents.create_document(
        kb.db, DRAFT.format(lesson=hidden.id), actor="tester", type_hint="process"
    )
    page = login_as("reader").get(f"/processes/{model.id}").get_data(as_text=True)
    assert hidden.id not in page.split("doc-layout")[1]
