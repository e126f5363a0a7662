"""A lesson's actions: service, API and page (each test runs on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kb.accounts.models import AuditEntry
from kb.accounts.viewer import Viewer
from kb.actions import models as _models  # noqa: F401  (the table is truncated between tests)
from kb.actions import services as actions
from kb.core.errors import Conflict, Forbidden, NotFound, ValidationError
from kb.documents import services
from kb.events.log.models import Event

CURATOR = Viewer("cora", "curator")
READER = Viewer("rita", "reader")
OWNER = Viewer("owen", "contributor")
OUTSIDER = Viewer("olga", "contributor", frozenset({"finance"}))


def lesson(kb, lesson_md, status="published", **fields):
    return services.create_document(
        kb.db, lesson_md("Vendor spec late", status=status, **fields), actor="x", type_hint="lesson"
    )


def process(kb):
    return services.create_document(
        kb.db,
        "---\ntitle: Stage gate review\n---\n\n## Purpose\n\nGo or stop.\n",
        actor="x",
        type_hint="process",
    )


def add(kb, doc_id, viewer=CURATOR, **over):
    fields = {
        "description": "Add an interface milestone to the vendor template",
        "owner": "owen",
        "due_on": "2026-12-31",
        "target_kind": "template",
        "target_ref": "https://intranet.example/templates/vendor",
    }
    fields.update(over)
    return actions.add_action(kb.db, doc_id, viewer=viewer, **fields)


def status(kb, doc_id):
    return services.get_document(kb.db, doc_id).status


def event_types(kb):
    with kb.db.read() as s:
        return list(s.scalars(select(Event.type).order_by(Event.seq)))


def test_lesson_moves_published_in_action_actioned(kb, lesson_md):
    doc = lesson(kb, lesson_md)
    pm = process(kb)
    first = add(kb, doc.id, target_kind="process_model", target_ref=pm.id.lower())
    assert first.target_ref == pm.id and first.status == "open"
    assert status(kb, doc.id) == "in_action"
    second = add(kb, doc.id, owner="someone else")
    assert status(kb, doc.id) == "in_action"
    actions.close_action(kb.db, first.id, viewer=CURATOR, note="Template updated")
    assert status(kb, doc.id) == "in_action"  # one still open
    closed = actions.close_action(kb.db, second.id, viewer=CURATOR)
    assert closed.status == "closed" and closed.closed_by == "cora" and closed.closed_at
    assert status(kb, doc.id) == "actioned"
    listed = actions.list_actions(kb.db, doc.id)
    assert [a.id for a in listed] == [first.id, second.id]
    assert listed[0].closing_note == "Template updated"
    types = event_types(kb)
    assert types.count("org.pmo.kb.lesson.action.added") == 2
    assert types.count("org.pmo.kb.lesson.action.closed") == 2
    assert "org.pmo.kb.lesson.action_started" in types and "org.pmo.kb.lesson.actioned" in types
    with kb.db.read() as s:
        event = s.scalars(
            select(Event).where(Event.type == "org.pmo.kb.lesson.action.added")
        ).first()
        audits = list(s.scalars(select(AuditEntry).where(AuditEntry.target == doc.id)))
    assert event.subject == f"lessons/{doc.id}" and event.data["actor"] == "cora"
    assert event.data["target_kind"] == "process_model" and event.data["target_ref"] == pm.id
    actions_audited = [(a.actor, a.action) for a in audits if a.action.startswith("lesson.action.")]
    assert (
        actions_audited
        == [("cora", "lesson.action.added")] * 2 + [("cora", "lesson.action.closed")] * 2
    )


def test_owner_closes_their_action_and_the_lesson_moves_on(kb, lesson_md):
    doc = lesson(kb, lesson_md)
    action = add(kb, doc.id, owner="owen")
    with pytest.raises(Forbidden):
        actions.close_action(kb.db, action.id, viewer=READER)
    actions.close_action(kb.db, action.id, viewer=OWNER)
    assert status(kb, doc.id) == "actioned"
    with pytest.raises(Conflict):
        actions.close_action(kb.db, action.id, viewer=CURATOR)


def test_role_and_visibility_checks(kb, lesson_md):
    doc = lesson(kb, lesson_md)
    with pytest.raises(Forbidden):
        add(kb, doc.id, viewer=READER)
    with pytest.raises(Forbidden):
        add(kb, doc.id, viewer=OWNER)
    hidden = lesson(kb, lesson_md, visibility="restricted", groups="[hr]")
    with pytest.raises(NotFound):
        add(kb, hidden.id, viewer=OUTSIDER)
    with pytest.raises(NotFound):
        actions.list_actions(kb.db, hidden.id, viewer=OUTSIDER)
    secret = add(kb, hidden.id, owner="olga")
    with pytest.raises(NotFound):
        actions.close_action(kb.db, secret.id, viewer=OUTSIDER)  # even its owner, unable to read
    assert status(kb, doc.id) == "published" and actions.list_actions(kb.db, doc.id) == []


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"target_kind": "process_model", "target_ref": "PM-9999"}, "target_ref"),
        ({"target_kind": "wiki"}, "target_kind"),
        ({"target_kind": "none"}, "target_kind"),
        ({"target_ref": " "}, "target_ref"),
        ({"description": ""}, "description"),
        ({"owner": None}, "owner"),
        ({"due_on": "next week"}, "due_on"),
    ],
)
def test_invalid_actions_are_refused(kb, lesson_md, over, field):
    doc = lesson(kb, lesson_md)
    with pytest.raises(ValidationError) as info:
        add(kb, doc.id, **over)
    assert info.value.field == field
    assert status(kb, doc.id) == "published"


def test_a_lesson_id_that_is_a_guide_is_not_a_process_model(kb, lesson_md):
    doc = lesson(kb, lesson_md)
    with pytest.raises(ValidationError):
        add(kb, doc.id, target_kind="process_model", target_ref=doc.id)


def test_only_published_or_in_action_lessons_take_actions(kb, lesson_md):
    doc = lesson(kb, lesson_md, status="draft")
    with pytest.raises(ValidationError):
        add(kb, doc.id)


def test_no_action_records_the_rationale_and_actions_the_lesson(kb, lesson_md):
    doc = lesson(kb, lesson_md)
    with pytest.raises(Forbidden):
        actions.no_action(kb.db, doc.id, viewer=READER, rationale="x")
    with pytest.raises(ValidationError):
        actions.no_action(kb.db, doc.id, viewer=CURATOR, rationale=" ")
    none = actions.no_action(kb.db, doc.id, viewer=CURATOR, rationale="A one-off supplier")
    assert none.target_kind == "none" and none.status == "closed"
    assert status(kb, doc.id) == "actioned"
    other = lesson(kb, lesson_md)
    add(kb, other.id)
    with pytest.raises(Conflict):
        actions.no_action(kb.db, other.id, viewer=CURATOR, rationale="Changed my mind")


# --- the API and the page ----------------------------------------------------------------


def test_api_add_list_close(kb, lesson_md, login_as):
    doc = lesson(kb, lesson_md)
    pm = process(kb)
    cora = login_as("curator", "cora")
    bad = cora.post(
        f"/api/lessons/{doc.id}/actions",
        json={
            "description": "x",
            "owner": "owen",
            "due_on": "2026-12-31",
            "target_kind": "process_model",
            "target_ref": "PM-9999",
        },
    )
    assert bad.status_code == 400 and bad.json["error"]["field"] == "target_ref"
    made = cora.post(
        f"/api/lessons/{doc.id}/actions",
        json={
            "description": "Add a vendor gate",
            "owner": "owen",
            "due_on": "2026-12-31",
            "target_kind": "process_model",
            "target_ref": pm.id,
        },
    )
    assert made.status_code == 201 and made.json["status"] == "open"
    got = cora.get(f"/api/lessons/{doc.id}").json
    assert got["status"] == "in_action" and [a["id"] for a in got["actions"]] == [made.json["id"]]
    assert "transitions" in got
    listed = login_as("reader").get(f"/api/lessons/{doc.id}/actions")
    assert listed.status_code == 200 and listed.json["actions"][0]["may_close"] is False
    assert login_as("reader").post(f"/api/lessons/{doc.id}/actions", json={}).status_code == 403
    assert login_as("reader").post(f"/api/actions/{made.json['id']}/close").status_code == 403
    owen = login_as("contributor", "owen")
    closed = owen.post(f"/api/actions/{made.json['id']}/close", json={"note": "Done"})
    assert closed.status_code == 200 and closed.json["closed_by"] == "owen"
    assert cora.get(f"/api/lessons/{doc.id}").json["status"] == "actioned"
    assert owen.post(f"/api/actions/{made.json['id']}/close").status_code == 409
    assert cora.post("/api/actions/999/close").status_code == 404


def test_api_restricted_lesson_is_404_for_outsiders(kb, lesson_md, login_as):
    hidden = lesson(kb, lesson_md, visibility="restricted", groups="[hr]")
    action = add(kb, hidden.id, owner="olga")
    olga = login_as("contributor", "olga", groups=["finance"])
    assert olga.get(f"/api/lessons/{hidden.id}/actions").status_code == 404
    assert olga.post(f"/api/actions/{action.id}/close").status_code == 404


def test_api_no_action(kb, lesson_md, login_as):
    doc = lesson(kb, lesson_md)
    cora = login_as("curator", "cora")
    made = cora.post(
        f"/api/lessons/{doc.id}/actions", json={"no_action": True, "rationale": "One-off"}
    )
    assert made.status_code == 201 and made.json["target_kind"] == "none"
    assert cora.get(f"/api/lessons/{doc.id}").json["status"] == "actioned"


def test_page_shows_actions_and_forms(kb, lesson_md, login_as):
    doc = lesson(kb, lesson_md)
    pm = process(kb)
    add(
        kb,
        doc.id,
        description="Add a vendor <gate>",
        target_kind="process_model",
        target_ref=pm.id,
        owner="owen",
    )
    page = login_as("curator").get(f"/lessons/{doc.id}").get_data(as_text=True)
    assert "Actions" in page and "Add a vendor &lt;gate&gt;" in page
    assert f"/processes/{pm.id}" in page and "Close action" in page and "Add action" in page
    reader_page = login_as("reader").get(f"/lessons/{doc.id}").get_data(as_text=True)
    assert "Add a vendor &lt;gate&gt;" in reader_page
    assert "Close action" not in reader_page and "Add action" not in reader_page
    assert "Close action" in login_as("reader", "owen").get(f"/lessons/{doc.id}").get_data(
        as_text=True
    )


def test_page_forms_add_and_close(kb, lesson_md, login_as):
    doc = lesson(kb, lesson_md)
    cora = login_as("curator", "cora")
    response = cora.post(
        f"/lessons/{doc.id}/actions",
        data={
            "description": "Train PMs",
            "owner": "owen",
            "due_on": "2026-12-31",
            "target_kind": "training",
            "target_ref": "Vendor course",
        },
    )
    assert response.status_code == 303
    action = actions.list_actions(kb.db, doc.id)[0]
    assert status(kb, doc.id) == "in_action"
    assert login_as("reader").post(f"/lessons/{doc.id}/actions", data={}).status_code == 403
    assert login_as("reader").post(f"/actions/{action.id}/close").status_code == 403
    refused = cora.post(f"/lessons/{doc.id}/actions", data={"description": "x"})
    assert refused.status_code == 303 and len(actions.list_actions(kb.db, doc.id)) == 1
    assert cora.post(f"/actions/{action.id}/close", data={"note": "ok"}).status_code == 303
    assert status(kb, doc.id) == "actioned"
