"""The worker's sweep tells an overdue action's owner and an overdue process model's owner
once per due date — in the inbox and by e-mail — however often it runs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from kb.accounts.viewer import Viewer
from kb.actions import services as actions
from kb.core.time import utcnow
from kb.documents import services as documents
from kb.events.log.models import Event
from kb.notifications.models import Notification
from kb.overdue import services as overdue

from .conftest import drain

PROCESS = (
    "---\nid: PM-0101\ntitle: Supplier onboarding\nstatus: published\nowner: {owner}\n"
    "review_period_months: 6\nlast_reviewed: {last}\n---\n\nSteps.\n"
)


def events(kb, name: str) -> list[Event]:
    with kb.db.read() as s:
        return list(s.scalars(select(Event).where(Event.type == f"org.pmo.kb.{name}")))


def inbox(kb, kind: str) -> list[Notification]:
    with kb.db.read() as s:
        return list(s.scalars(select(Notification).where(Notification.kind == kind)))


def test_an_overdue_action_is_told_to_its_owner_once(kb, person, lesson_md, mailbox):
    cora = person("cora", "curator")
    person("owen", "reader", email="owen@example.org")
    doc = documents.create_document(kb.db, lesson_md("Spec late"), actor="x", type_hint="lesson")
    yesterday = (utcnow() - timedelta(days=1)).date()
    action = actions.add_action(
        kb.db,
        doc.id,
        viewer=Viewer.of(cora),
        description="Fix the template",
        owner="owen",
        due_on=yesterday.isoformat(),
        target_kind="template",
        target_ref="Spec template",
    )
    actions.add_action(
        kb.db,
        doc.id,
        viewer=Viewer.of(cora),
        description="Later",
        owner="owen",
        due_on=(yesterday + timedelta(days=30)).isoformat(),
        target_kind="template",
        target_ref="Other",
    )
    drain(kb)  # the worker's pass sweeps first
    assert overdue.sweep(kb.db) == 0  # swept again: nobody is told twice
    drain(kb)
    assert kb.worker.run_pending() == 0

    [event] = events(kb, "lesson.action.overdue")
    assert event.data["id"] == action.id and event.data["due_on"] == yesterday.isoformat()
    [note] = inbox(kb, "lesson.action.overdue")
    label = f"{yesterday.day} {yesterday:%b %Y}"
    assert (
        note.username == "owen" and note.title == f"Overdue since {label}: your action on {doc.id}"
    )
    assert note.link == f"/lessons/{doc.id}" and "Fix the template" in note.body
    overdue_mails = [m for m in mailbox.to("owen@example.org") if "Overdue" in m["Subject"]]
    assert len(overdue_mails) == 1

    actions.close_action(kb.db, action.id, viewer=Viewer.of(cora))
    assert overdue.sweep(kb.db) == 0
    assert len(events(kb, "lesson.action.overdue")) == 1


def test_a_process_model_past_its_review_tells_its_owner_or_the_pmo(kb, person, mailbox):
    person("cora", "curator", email="cora@example.org")
    person("paula", "contributor", email="paula@example.org")
    documents.create_document(
        kb.db, PROCESS.format(owner="paula", last="2020-01-10"), actor="x", type_hint="process"
    )
    documents.create_document(
        kb.db,
        PROCESS.replace("PM-0101", "PM-0102").format(owner="Head of Nowhere", last="2020-02-01"),
        actor="x",
        type_hint="process",
    )
    fresh = utcnow().date().isoformat()
    documents.create_document(
        kb.db,
        PROCESS.replace("PM-0101", "PM-0103").format(owner="paula", last=fresh),
        actor="x",
        type_hint="process",
    )
    drain(kb)
    assert overdue.sweep(kb.db) == 0
    drain(kb)

    assert sorted(e.data["id"] for e in events(kb, "processmodel.review_due")) == [
        "PM-0101",
        "PM-0102",
    ]
    told = sorted((n.username, n.link) for n in inbox(kb, "processmodel.review_due"))
    assert told == [("cora", "/processes/PM-0102"), ("paula", "/processes/PM-0101")]
    [paula_note] = [n for n in inbox(kb, "processmodel.review_due") if n.username == "paula"]
    assert paula_note.title.startswith("Review overdue since 10 Jul 2020: PM-0101")

    # reviewed again, but that review is overdue too: a new due date is told once more
    doc = documents.get_document(kb.db, "PM-0101")
    source = documents.get_revision(kb.db, doc.id).markdown.replace("2020-01-10", "2021-01-10")
    documents.update_document(kb.db, doc.id, source, actor="paula", base_version=doc.version)
    assert overdue.sweep(kb.db) == 1
    assert overdue.sweep(kb.db) == 0
    drain(kb)
    assert [
        e.data["due_on"] for e in events(kb, "processmodel.review_due") if e.data["id"] == "PM-0101"
    ] == ["2020-07-10", "2021-07-10"]


def test_the_worker_sweeps_at_most_once_a_minute(kb, clock):
    sweeper = overdue.Sweeper(kb.db, every=60)
    start = clock()
    swept_at = []
    for seconds in (0, 1, 59, 61):
        sweeper(start + timedelta(seconds=seconds))
        swept_at.append((sweeper.last - start).total_seconds())
    assert swept_at == [0, 0, 0, 61]
