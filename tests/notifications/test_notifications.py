"""Who is told about what: inbox rows and e-mails received by a real SMTP server, once per
event and person, never about a document the person may not read."""

from __future__ import annotations

import dataclasses
import socket
import time
import uuid

import pytest
from sqlalchemy import select

from kb.accounts import services as accounts
from kb.accounts.viewer import Viewer
from kb.actions import services as actions
from kb.context import build_registry
from kb.core.time import utcnow
from kb.documents import lifecycle
from kb.documents import services as documents
from kb.events.jobs import admin
from kb.events.jobs.models import HandlerRun
from kb.events.kinds.examples import example
from kb.events.kinds.lessons import LessonRecurred, LessonVerificationDue
from kb.events.kinds.processes import ProcessModelChanged, ProcessModelCustodianChanged
from kb.events.kinds.projects import LessonsRecommended
from kb.events.log.models import Event
from kb.events.log.services import append_event, lock_log
from kb.notifications.mail import MailSettings, send_mail
from kb.notifications.models import Notification, SentMail

from .conftest import BASE_URL, drain, emit

PROCESS = "---\nid: PM-0007\ntitle: Vendor onboarding\nowner: Head of Procurement\n---\n\nSteps.\n"


def inbox(kb, username: str | None = None) -> list[Notification]:
    with kb.db.read() as s:
        query = select(Notification).order_by(Notification.id)
        if username:
            query = query.where(Notification.username == username)
        return list(s.scalars(query))


def sent(kb) -> list[tuple[int, str]]:
    with kb.db.read() as s:
        return sorted(s.execute(select(SentMail.event_seq, SentMail.address)).all())


def closed(key: str, manager: str) -> Event:
    data = {
        "project": {"projectId": key, "name": f"Project {key}"},
        "closedAt": utcnow().isoformat(),
        "closureType": "completed",
        "managerEmail": manager,
        "processModels": [],
    }
    return Event(
        source="urn:pmo:test",
        event_id=str(uuid.uuid4()),
        type="org.pmo.project.closed",
        time=utcnow(),
        data=data,
        partition_key=key,
    )


def post(kb, event: Event) -> None:
    with kb.db.write() as s:
        lock_log(s)
        s.add(event)
    drain(kb)


def replay_everything(kb) -> None:
    admin.replay(kb.db, kb.registry, from_seq=1)
    drain(kb)


def test_review_opened_reaches_the_facilitator_once_by_inbox_and_mail(kb, person, mailbox):
    person("maria", "contributor", email="maria@example.org")
    post(kb, closed("HARBOUR", "Maria@Example.org"))

    [row] = inbox(kb)
    assert (row.username, row.kind, row.link) == (
        "maria",
        "review.opened",
        "/projects/HARBOUR/review",
    )
    assert row.title == "Lessons review of HARBOUR is open" and row.read_at is None
    [mail] = mailbox.to("maria@example.org")
    assert mail["Subject"] == "[kb] Lessons review of HARBOUR is open"
    assert mail["From"] == "kb@pmo.example.org" and mail["Auto-Submitted"] == "auto-generated"
    assert mail.get_content_type() == "text/plain"
    text = mail.get_content()
    assert f"{BASE_URL}/projects/HARBOUR/review" in text and "due on" in text

    # the same event handled again: nothing more
    replay_everything(kb)
    assert len(inbox(kb)) == 1
    assert len(mailbox.to("maria@example.org")) == 1
    assert sent(kb) == [(row.event_seq, "maria@example.org")]


def test_a_manager_kb_does_not_know_gets_mail_only(kb, mailbox):
    post(kb, closed("ATLAS", "pm@elsewhere.example"))
    assert inbox(kb) == []
    assert mailbox.addresses == ["pm@elsewhere.example"]


def test_lifecycle_tells_curators_and_the_creator_never_the_actor(kb, person, lesson_md, mailbox):
    cleo = person("cleo", "contributor", email="cleo@example.org")
    cora = person("cora", "curator", email="cora@example.org")
    person("ada", "admin", email="ada@example.org")  # admins are not the PMO while curators exist
    doc = documents.create_document(
        kb.db,
        lesson_md("Spec late", status="draft"),
        actor="cleo",
        created_by="cleo",
        type_hint="lesson",
    )
    lifecycle.transition_lesson(kb.db, doc.id, "submitted", viewer=Viewer.of(cleo))
    drain(kb)
    assert [(n.username, n.kind) for n in inbox(kb)] == [("cora", "lesson.submitted")]

    lifecycle.transition_lesson(kb.db, doc.id, "in_review", viewer=Viewer.of(cora))
    lifecycle.transition_lesson(
        kb.db, doc.id, "rejected", viewer=Viewer.of(cora), reason="Duplicate of LL-2025-0003"
    )
    drain(kb)
    told = [(n.username, n.kind) for n in inbox(kb)]
    assert told == [("cora", "lesson.submitted"), ("cleo", "lesson.rejected")]
    rejected = inbox(kb, "cleo")[0]
    assert rejected.link == f"/lessons/{doc.id}" and "Duplicate of LL-2025-0003" in rejected.body
    assert mailbox.addresses == ["cleo@example.org", "cora@example.org"]
    assert f"{BASE_URL}/lessons/{doc.id}" in mailbox.to("cleo@example.org")[0].get_content()


def test_a_restricted_lesson_is_never_told_to_an_outsider(kb, person, lesson_md, mailbox):
    cora = person("cora", "curator", email="cora@example.org")
    person("otto", "reader", email="otto@example.org")
    person("fiona", "reader", email="fiona@example.org", groups=["finance"])
    doc = documents.create_document(
        kb.db,
        lesson_md("Budget overrun", visibility="restricted", groups="[finance]"),
        actor="cleo",
        created_by="cleo",
        type_hint="lesson",
    )
    for owner in ("otto", "fiona"):
        actions.add_action(
            kb.db,
            doc.id,
            viewer=Viewer.of(cora),
            description=f"Fix it, {owner}",
            owner=owner,
            due_on="2026-12-31",
            target_kind="template",
            target_ref="Budget template",
        )
    drain(kb)
    assert [(n.username, n.kind) for n in inbox(kb)] == [("fiona", "lesson.action.added")]
    assert mailbox.addresses == ["fiona@example.org"]
    replay_everything(kb)
    assert mailbox.addresses == ["fiona@example.org"] and len(inbox(kb)) == 1


def actions_owned_by(kb, doc, curator, owners) -> None:
    """One training action on `doc` per owner, added by `curator`."""
    for owner in owners:
        actions.add_action(
            kb.db,
            doc.id,
            viewer=Viewer.of(curator),
            description="Do it",
            owner=owner,
            due_on="2026-12-31",
            target_kind="training",
            target_ref="Course",
        )


def test_an_action_owner_named_by_address(kb, person, lesson_md, mailbox):
    cora = person("cora", "curator")
    person("owen", "reader", email="owen@example.org")
    doc = documents.create_document(kb.db, lesson_md("Spec late"), actor="x", type_hint="lesson")
    actions_owned_by(kb, doc, cora, ("OWEN@example.org", "someone@partner.example", "Team Alpha"))
    drain(kb)
    assert [(n.username, n.kind) for n in inbox(kb)] == [("owen", "lesson.action.added")]
    # a name that is neither a user nor an address reaches nobody
    assert mailbox.addresses == ["owen@example.org", "someone@partner.example"]


def test_recommended_lessons_keep_only_what_the_recipient_may_read(kb, lesson_md, mailbox):
    public = documents.create_document(
        kb.db, lesson_md("Vendor spec late"), actor="x", type_hint="lesson"
    )
    hidden = documents.create_document(
        kb.db,
        lesson_md("Secret budget", visibility="restricted", groups="[finance]"),
        actor="x",
        type_hint="lesson",
    )
    lessons = [
        {"id": public.id, "title": public.title, "reason": "shares tag vendor"},
        {"id": hidden.id, "title": hidden.title, "reason": "same phase"},
    ]
    emit(
        kb,
        example(
            LessonsRecommended,
            briefing=1,
            trigger="gate:G2",
            recipient="pm@elsewhere.example",
            lessons=lessons,
        ),
    )
    [mail] = mailbox.to("pm@elsewhere.example")
    text = mail.get_content()
    assert public.id in text and "shares tag vendor" in text
    assert hidden.id not in text and "Secret budget" not in text
    assert (
        f"{BASE_URL}/projects/ATLAS" in text
        and mail["Subject"] == "[kb] Lessons for ATLAS at stage gate G2"
    )

    emit(
        kb,
        example(
            LessonsRecommended,
            briefing=2,
            trigger="started",
            recipient="pm@elsewhere.example",
            lessons=lessons[1:],
        ),
    )
    assert len(mailbox.to("pm@elsewhere.example")) == 1  # nothing readable: nothing sent


def test_the_pmo_is_the_curators_or_else_the_admins(kb, person, mailbox):
    person("ada", "admin", email="ada@example.org")
    process = documents.create_document(kb.db, PROCESS, actor="x", type_hint="process")
    custody = example(ProcessModelCustodianChanged, id=process.id, title=process.title)
    emit(kb, custody)
    [row] = inbox(kb)
    assert (row.username, row.link) == ("ada", "/tasks")
    assert "Confirm a business-as-usual owner" in row.body

    person("cora", "curator", email="cora@example.org")
    person("carl", "curator")  # no address: inbox only
    emit(kb, example(LessonVerificationDue, id="LL-2099-0001"))  # unknown lesson: nobody
    emit(kb, custody)
    assert [n.username for n in inbox(kb)] == ["ada", "carl", "cora"]
    assert mailbox.addresses == ["ada@example.org", "cora@example.org"]


def test_recurrence_tells_the_pmo_and_the_creator(kb, person, lesson_md, mailbox):
    person("cora", "curator")
    person("cleo", "contributor", email="cleo@example.org")
    older = documents.create_document(
        kb.db, lesson_md("Spec late"), actor="cleo", created_by="cleo", type_hint="lesson"
    )
    newer = documents.create_document(
        kb.db,
        lesson_md("Spec late again", project="HARBOUR", visibility="restricted", groups="[hr]"),
        actor="x",
        type_hint="lesson",
    )
    emit(
        kb,
        example(
            LessonRecurred,
            id=older.id,
            title=older.title,
            recurred_in=newer.id,
            recurred_in_title=newer.title,
            recurred_in_project="HARBOUR",
            refers_to=newer.id,
            score=0.82,
        ),
    )
    rows = {n.username: n for n in inbox(kb)}
    assert set(rows) == {"cora", "cleo"}
    assert rows["cora"].link == rows["cleo"].link == f"/lessons/{older.id}"
    assert newer.id in rows["cora"].body  # curators read everything
    assert newer.id not in rows["cleo"].body and "Spec late again" not in rows["cleo"].body
    # not even the newer lesson's project: it too is taken from a lesson cleo may not read
    assert "HARBOUR" not in rows["cleo"].body + rows["cleo"].title
    assert "a lesson you may not read" in rows["cleo"].body
    assert "HARBOUR" in rows["cora"].title


def test_process_changes_from_the_repository_tell_the_pmo_plain_saves_do_not(kb, person, lesson_md):
    person("cora", "curator")
    process = documents.create_document(kb.db, PROCESS, actor="x", type_hint="process")
    documents.update_document(kb.db, process.id, PROCESS + "More.\n", actor="x", base_version=1)
    drain(kb)
    assert inbox(kb) == []  # kb's own processmodel.created / .updated of a save
    lesson = documents.create_document(kb.db, lesson_md("Spec late"), actor="x", type_hint="lesson")
    emit(
        kb,
        example(
            ProcessModelChanged,
            id=process.id,
            title=process.title,
            summary="Sanctions screening.",
            flagged_lessons=[lesson.id],
        ),
    )
    [row] = inbox(kb)
    assert (row.username, row.kind, row.link) == ("cora", "processmodel.updated", "/tasks")
    assert lesson.id in row.body and "Sanctions screening." in row.body


def test_a_refused_address_is_retried_without_mailing_the_others_twice(kb, person, clock, mailbox):
    kb.worker.clock = clock
    person("carl", "curator", email="carl@example.org")
    person("cora", "curator", email="cora@example.org")
    person("dora", "curator", email="dora@example.org")
    mailbox.refuse["cora@example.org"] = "451 4.3.0 Try again later"
    mailbox.refuse["dora@example.org"] = "550 5.1.1 No such mailbox"
    process = documents.create_document(kb.db, PROCESS, actor="x", type_hint="process")
    event = emit(kb, example(ProcessModelCustodianChanged, id=process.id, title=process.title))
    assert mailbox.addresses == ["carl@example.org"]
    with kb.db.read() as s:
        run = s.scalar(select(HandlerRun).where(HandlerRun.handler == "notifications.mail"))
    assert run.status == "pending" and "451" in run.last_error
    assert sent(kb) == [(event.seq, "carl@example.org")]

    del mailbox.refuse["cora@example.org"]
    clock.advance(60)
    drain(kb)
    # carl was served already; dora's mailbox does not exist (permanent): not retried for ever
    assert mailbox.addresses == ["carl@example.org", "cora@example.org"]
    with kb.db.read() as s:
        assert s.get(HandlerRun, run.id).status == "done"
    assert [a for _, a in sent(kb)] == ["carl@example.org", "cora@example.org"]
    assert len(inbox(kb)) == 3  # the inbox never depended on the mail


def test_without_an_smtp_host_there_is_no_mail_handler(kb, config):
    names = set(build_registry(dataclasses.replace(config, SMTP_HOST=""), kb.db).handlers)
    assert "notifications.inbox" in names and "notifications.mail" not in names
    assert "notifications.mail" in build_registry(config, kb.db).handlers


def test_links_are_paths_without_a_base_url():
    assert MailSettings(host="x").url("/lessons/LL-1") == "/lessons/LL-1"
    assert MailSettings(host="x", base_url="https://kb.example/").url("/tasks") == (
        "https://kb.example/tasks"
    )


def test_a_silent_smtp_server_times_out(kb, person):
    person("cora", "curator", email="cora@example.org")
    process = documents.create_document(kb.db, PROCESS, actor="x", type_hint="process")
    with socket.socket() as silent:  # accepts connections, never says hello
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        with kb.db.write() as s:
            event = append_event(
                s, example(ProcessModelCustodianChanged, id=process.id, title=process.title)
            )
        settings = MailSettings(host="127.0.0.1", port=silent.getsockname()[1], timeout=0.5)
        started = time.monotonic()
        with pytest.raises(OSError, match="timed out"):
            send_mail(kb.db, HandlerRun(handler="notifications.mail"), event, settings=settings)
        assert time.monotonic() - started < 5
    assert sent(kb) == []


def test_deactivated_users_and_odd_addresses_get_nothing(kb, person, lesson_md, mailbox):
    cora = person("cora", "curator")
    person("maria", "contributor", email="maria@example.org")
    accounts.update_user(kb.db, "maria", actor="test", is_active=False)
    post(kb, closed("HARBOUR", "maria@example.org"))  # her address does not bypass it
    doc = documents.create_document(kb.db, lesson_md("Spec late"), actor="x", type_hint="lesson")
    actions_owned_by(
        kb,
        doc,
        cora,
        ("maria", "a@example.org\nBcc: b@example.org", "x@example.org, y@example.org"),
    )
    drain(kb)
    assert inbox(kb) == [] and mailbox.addresses == []
