"""The lesson lifecycle service (each test runs on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kb.accounts.models import AuditEntry
from kb.accounts.viewer import Viewer
from kb.core.errors import Conflict, Forbidden, NotFound, ValidationError
from kb.documents import lifecycle, queue, services
from kb.documents.frontmatter_edit import replace_key
from kb.documents.lifecycle import transition_lesson
from kb.events.log.models import Event
from kb.markdown import frontmatter

CURATOR = Viewer("cora", "curator")
CLEO = Viewer("cleo", "contributor")
OTTO = Viewer("otto", "contributor")
READER = Viewer("rita", "reader")
OUTSIDER = Viewer("olga", "contributor", frozenset({"finance"}))
#: every allowed transition: (from, to, who, reason needed)
ALLOWED = [
    ("draft", "submitted"),
    ("submitted", "in_review"),
    ("in_review", "published"),
    ("submitted", "rejected"),
    ("in_review", "rejected"),
    ("published", "in_action"),
    ("in_action", "actioned"),
    ("actioned", "verified"),
    ("published", "archived"),
    ("actioned", "archived"),
    ("verified", "archived"),
    ("verified", "reopened"),
    ("actioned", "reopened"),
    ("archived", "reopened"),
    ("rejected", "reopened"),
    ("reopened", "in_review"),
    ("rejected", "draft"),
]
NEEDS_REASON = {"rejected", "verified", "reopened"}


def source(lesson_md, status="draft", **fields):
    return lesson_md("Vendor spec late", status=status, **fields) + "Trailing  text\t\n"


def make(kb, lesson_md, status="draft", created_by="cleo", **fields):
    return services.create_document(
        kb.db,
        source(lesson_md, status, **fields),
        actor=created_by or "x",
        type_hint="lesson",
        created_by=created_by,
    )


def who_for(to):
    return CLEO if to == "draft" else CURATOR


@pytest.mark.parametrize(("start", "to"), ALLOWED)
def test_every_allowed_transition(kb, lesson_md, start, to):
    doc = make(kb, lesson_md, start)
    before = services.get_revision(kb.db, doc.id).markdown
    reason = "because" if to in NEEDS_REASON else None
    after = transition_lesson(kb.db, doc.id, to, viewer=who_for(to), reason=reason)
    assert after.status == to and after.version == 2
    rev = services.get_revision(kb.db, doc.id)
    # the new revision differs by the status value only
    assert rev.markdown == before.replace(f"status: {start}\n", f"status: {to}\n", 1)
    assert frontmatter.split(rev.markdown)[0]["status"] == to
    assert rev.author == who_for(to).username
    verb = lifecycle.VERBS[to]
    with kb.db.read() as s:
        event = s.scalars(select(Event).order_by(Event.seq.desc())).first()
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert event.type == f"org.pmo.kb.lesson.{verb}" and event.subject == f"lessons/{doc.id}"
    assert event.data["from"] == start and event.data["to"] == to
    assert event.data["reason"] == reason and event.data["actor"] == who_for(to).username
    assert event.data["title"] == "Vendor spec late" and event.data["project"] == "ATLAS"
    assert entry.action == f"lesson.{verb}" and entry.target == doc.id
    assert entry.details["from"] == start and entry.actor == who_for(to).username


def test_messages_and_verbs(kb, lesson_md):
    doc = make(kb, lesson_md, "submitted")
    transition_lesson(kb.db, doc.id, "rejected", viewer=CURATOR, reason="Duplicate of another")
    assert services.get_revision(kb.db, doc.id).message == "Rejected: Duplicate of another"
    doc = make(kb, lesson_md, "in_review")
    transition_lesson(kb.db, doc.id, "published", viewer=CURATOR)
    assert services.get_revision(kb.db, doc.id).message == "Published"
    with kb.db.read() as s:
        types = list(s.scalars(select(Event.type).order_by(Event.seq)))
    assert types[-1] == "org.pmo.kb.lesson.published"
    assert "org.pmo.kb.lesson.updated" not in types  # one event per transition


@pytest.mark.parametrize(
    ("start", "to"),
    [
        ("draft", "published"),
        ("draft", "in_review"),
        ("submitted", "published"),
        ("published", "verified"),
        ("archived", "published"),
        ("merged", "reopened"),
        ("in_action", "draft"),
        ("published", "nonsense"),
    ],
)
def test_forbidden_transitions_name_the_allowed_ones(kb, lesson_md, start, to):
    doc = make(kb, lesson_md, start)
    with pytest.raises(ValidationError) as caught:
        transition_lesson(kb.db, doc.id, to, viewer=CURATOR, reason="r")
    assert caught.value.status == 400
    allowed = list(lifecycle.TRANSITIONS[start])
    assert caught.value.details["allowed"] == allowed
    for state in allowed:
        assert state in caught.value.message
    assert services.get_document(kb.db, doc.id).version == 1


def test_roles(kb, lesson_md):
    doc = make(kb, lesson_md, "in_review")
    with pytest.raises(Forbidden) as caught:
        transition_lesson(kb.db, doc.id, "published", viewer=CLEO)  # contributor, even the creator
    assert caught.value.status == 403
    draft = make(kb, lesson_md, "draft")
    for someone in (READER, OTTO):  # not theirs
        with pytest.raises(Forbidden):
            transition_lesson(kb.db, draft.id, "submitted", viewer=someone)
    assert transition_lesson(kb.db, draft.id, "submitted", viewer=CLEO).status == "submitted"
    # a curator may submit anyone's draft; only the creator reworks a rejected one
    other = make(kb, lesson_md, "draft", created_by="otto")
    assert transition_lesson(kb.db, other.id, "submitted", viewer=CURATOR).status == "submitted"
    rejected = make(kb, lesson_md, "rejected")
    with pytest.raises(Forbidden):
        transition_lesson(kb.db, rejected.id, "draft", viewer=OTTO)
    # a read-only token changes nothing
    with pytest.raises(Forbidden):
        transition_lesson(
            kb.db, rejected.id, "draft", viewer=Viewer("cleo", "contributor", read_only=True)
        )


def test_reason_required(kb, lesson_md):
    for start, to in [
        ("submitted", "rejected"),
        ("actioned", "verified"),
        ("archived", "reopened"),
    ]:
        doc = make(kb, lesson_md, start)
        with pytest.raises(ValidationError) as caught:
            transition_lesson(kb.db, doc.id, to, viewer=CURATOR, reason="  ")
        assert caught.value.field == "reason"


def test_restricted_lesson_is_404_for_outsiders(kb, lesson_md):
    doc = make(kb, lesson_md, "draft", visibility="restricted", groups="[hr]")
    with pytest.raises(NotFound):
        transition_lesson(kb.db, doc.id, "submitted", viewer=OUTSIDER)
    with pytest.raises(NotFound):
        transition_lesson(kb.db, "LL-2025-9999", "submitted", viewer=CURATOR)
    process = services.create_document(
        kb.db, "---\ntitle: P\n---\n\nx\n", actor="x", type_hint="process"
    )
    with pytest.raises(NotFound):
        transition_lesson(kb.db, process.id, "published", viewer=CURATOR)


def test_merge_writes_merged_into(kb, lesson_md):
    target = make(kb, lesson_md, "published")
    doc = make(kb, lesson_md, "submitted")
    with pytest.raises(ValidationError):
        transition_lesson(kb.db, doc.id, "merged", viewer=CURATOR, merged_into="LL-2025-9999")
    with pytest.raises(ValidationError):
        transition_lesson(kb.db, doc.id, "merged", viewer=CURATOR, merged_into=doc.id)
    before = services.get_revision(kb.db, doc.id).markdown
    after = transition_lesson(
        kb.db, doc.id, "merged", viewer=CURATOR, merged_into=target.id.lower()
    )
    assert after.status == "merged" and after.extra["merged_into"] == target.id
    md = services.get_revision(kb.db, doc.id).markdown
    assert md == before.replace("---\n", f"---\nmerged_into: {target.id}\n", 1).replace(
        "status: submitted\n", "status: merged\n"
    )
    with kb.db.read() as s:
        event = s.scalars(select(Event).order_by(Event.seq.desc())).first()
    assert event.type == "org.pmo.kb.lesson.merged" and event.data["merged_into"] == target.id
    with pytest.raises(ValidationError):  # merged is final
        transition_lesson(kb.db, doc.id, "merged", viewer=CURATOR, merged_into=target.id)


def test_stale_version_is_409(kb, lesson_md):
    doc = make(kb, lesson_md, "submitted")
    transition_lesson(kb.db, doc.id, "in_review", viewer=CURATOR)
    with pytest.raises(Conflict):  # the caller saw version 1
        transition_lesson(kb.db, doc.id, "published", viewer=CURATOR, base_version=1)


def test_change_between_read_and_write_is_409(kb, lesson_md, monkeypatch):
    doc = make(kb, lesson_md, "submitted")
    real_prepare = services.prepare

    def meanwhile(source, **kw):  # another curator acts while this one prepares
        monkeypatch.setattr(services, "prepare", real_prepare)
        transition_lesson(kb.db, doc.id, "rejected", viewer=CURATOR, reason="no")
        return real_prepare(source, **kw)

    monkeypatch.setattr(services, "prepare", meanwhile)
    with pytest.raises(Conflict) as caught:
        transition_lesson(kb.db, doc.id, "in_review", viewer=CURATOR)
    assert caught.value.status == 409
    after = services.get_document(kb.db, doc.id)
    assert after.status == "rejected" and after.version == 2


def test_allowed_transitions_per_viewer(kb, lesson_md):
    doc = make(kb, lesson_md, "draft")
    assert lifecycle.allowed_transitions(CLEO, doc) == ["submitted"]
    assert lifecycle.allowed_transitions(CURATOR, doc) == ["submitted", "merged"]
    assert lifecycle.allowed_transitions(OTTO, doc) == []
    assert lifecycle.allowed_transitions(READER, doc) == []


def test_queue(kb, lesson_md):
    submitted = make(kb, lesson_md, "draft")
    transition_lesson(kb.db, submitted.id, "submitted", viewer=CLEO)
    reviewing = make(kb, lesson_md, "submitted", created_by="otto")
    transition_lesson(kb.db, reviewing.id, "in_review", viewer=CURATOR)
    make(kb, lesson_md, "published")
    acting = make(kb, lesson_md, "in_action")
    hidden = make(
        kb, lesson_md, "submitted", visibility="restricted", groups="[hr]", created_by="x"
    )
    items = queue.queue(kb.db, CURATOR)
    assert [i.doc.id for i in items] == [submitted.id, reviewing.id, hidden.id]
    assert items[0].submitted_by == "cleo" and items[1].submitted_by == "otto"
    assert items[0].since <= items[1].since
    # in action for over 30 days joins the queue; outsiders never see restricted lessons
    later = queue.queue(kb.db, OUTSIDER, now=items[0].since + timedelta(days=31))
    assert [i.doc.id for i in later][-1] == acting.id and hidden.id not in [i.doc.id for i in later]


def test_replace_key_keeps_every_other_byte():
    src = "\ufeff---\r\ntitle: X # t\r\nstatus: draft  # keep\r\ntags: [a]\r\n---\r\n\r\nBody\r\n"
    assert replace_key(src, "status", "published") == src.replace("draft", "published")
    added = replace_key(src, "merged_into", "LL-2025-0001")
    assert frontmatter.split(added)[0]["merged_into"] == "LL-2025-0001"
    assert replace_key("---\nstatus: a\n---\nx", "status", "yes") == "---\nstatus: 'yes'\n---\nx"
    with pytest.raises(ValueError):
        replace_key("---\nstatus: >\n  draft\n---\nx", "status", "published")
