"""Which readers may read a lesson that names another (`every_reader_may_read`), merges between
lessons of one audience or of a target restricted afterwards, and the migration that moved the
notes naming another lesson out of `message`."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import select, update

from kb.accounts import services as accounts
from kb.db import Database
from kb.documents import lifecycle, references
from kb.documents import services as documents
from kb.documents.models import DocumentRevision
from kb.migrate import alembic_config, upgrade
from kb.projects.models import Project
from tests.security.derived_world import (
    CURATOR,
    DUP_ID,
    HIDDEN,
    OLD_ID,
    PUBLIC_ID,
    SECRET_ID,
    lesson,
)


def make_lesson(kb, doc_id: str, *, groups: str | None = None, by: str | None = None):
    extra = f"visibility: restricted\ngroups: {groups}\n" if groups else ""
    source = lesson(doc_id, f"Lesson {doc_id}", status="submitted", project="ATLAS", extra=extra)
    with kb.db.write() as s:  # the project, as the project tools registered it
        if s.get(Project, "ATLAS") is None:
            s.add(Project(key="ATLAS", name="Atlas", status="active"))
    return documents.create_document(kb.db, source, actor="test", type_hint="lesson", created_by=by)


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        ((None, None), (None, None), True),  # internal -> internal
        ((None, None), ("[finance]", None), False),  # internal -> restricted
        (("[finance]", "fay"), ("[finance]", "fay"), True),
        (("[finance]", None), ("[finance, hr]", None), True),  # every group of the source
        (("[finance, hr]", None), ("[finance]", None), False),  # hr's members may not
        (("[finance]", "olga"), ("[finance]", None), False),  # its creator may not
        (("[finance]", "mia"), ("[finance]", None), True),  # its creator is in finance
    ],
)
def test_every_reader_may_read(kb, source, target, expected):
    accounts.create_user(kb.db, "olga", password="correct horse battery", actor="test")
    accounts.create_user(
        kb.db, "mia", password="correct horse battery", groups=["finance"], actor="test"
    )
    a = make_lesson(kb, "LL-2025-0201", groups=source[0], by=source[1])
    b = make_lesson(kb, "LL-2025-0202", groups=target[0], by=target[1])
    with kb.db.read() as s:
        assert references.every_reader_may_read(s, a, b) is expected


def test_a_merge_between_lessons_of_one_audience_names_the_target_as_before(kb, client):
    make_lesson(kb, "LL-2025-0201", groups="[finance]")
    make_lesson(kb, "LL-2025-0202", groups="[finance]")
    lifecycle.transition_lesson(
        kb.db,
        "LL-2025-0201",
        "merged",
        viewer=CURATOR,
        merged_into="LL-2025-0202",
        reason="Same problem",
    )
    markdown = documents.get_revision(kb.db, "LL-2025-0201").markdown
    assert "merged_into: LL-2025-0202" in markdown
    answer = client.get("/api/lessons/LL-2025-0201").json
    assert answer["merged_into"] == answer["extra"]["merged_into"] == "LL-2025-0202"
    history = client.get("/api/lessons/LL-2025-0201/revisions").json["revisions"]
    assert history[0]["message"] == "Merged into LL-2025-0202: Same problem"


def test_a_target_restricted_after_the_merge_is_hidden_at_read_time(kb, app, login_as):
    make_lesson(kb, "LL-2025-0201")
    make_lesson(kb, "LL-2025-0202")
    lifecycle.transition_lesson(
        kb.db, "LL-2025-0201", "merged", viewer=CURATOR, merged_into="LL-2025-0202"
    )
    base = documents.get_document(kb.db, "LL-2025-0202").version
    restricted = documents.get_revision(kb.db, "LL-2025-0202").markdown.replace(
        "status: submitted\n", "status: submitted\nvisibility: restricted\ngroups: [finance]\n"
    )
    documents.update_document(kb.db, "LL-2025-0202", restricted, actor="test", base_version=base)
    outsider = login_as("reader", "olga")
    answer = outsider.get("/api/lessons/LL-2025-0201").json
    assert answer["merged_into"] is None and "merged_into" not in answer["extra"]
    assert answer["merged_into_note"] == f"Merged into {HIDDEN}"
    [merge, _] = outsider.get("/api/lessons/LL-2025-0201/revisions").json["revisions"]
    assert merge["message"] == f"Merged into {HIDDEN}"
    page = outsider.get("/lessons/LL-2025-0201").get_data(as_text=True)
    assert HIDDEN in page and 'href="/lessons/LL-2025-0202"' not in page


def test_the_migration_moves_existing_notes_naming_another_lesson(database_url):
    """Notes written before 0013 named the other lesson in `message`: it moves to
    `named_message`, and `message` says what everyone may read."""
    db = Database(database_url)
    try:
        with db.write() as s:
            s.add(Project(key="ATLAS", name="Atlas", status="active"))
        for doc_id in (OLD_ID, DUP_ID, PUBLIC_ID):
            documents.create_document(
                db,
                lesson(doc_id, "A lesson", status="submitted", project="ATLAS"),
                actor="test",
                type_hint="lesson",
            )
        notes = {
            OLD_ID: f"Reopened: The problem recurred in {SECRET_ID} (FINPROJ): Secret x",
            DUP_ID: f"Merged into {SECRET_ID}: Same as {SECRET_ID}",
            PUBLIC_ID: "Edited the merged into paragraph",
        }
        with db.write() as s:
            for doc_id, note in notes.items():
                s.execute(
                    update(DocumentRevision)
                    .where(DocumentRevision.document_id == doc_id)
                    .values(message=note)
                )
        db.dispose()
        command.downgrade(alembic_config(database_url), "0010")
        upgrade(database_url)
        with db.read() as s:
            rows = {
                r.document_id: (r.message, r.refers_to, r.named_message)
                for r in s.scalars(select(DocumentRevision))
            }
        assert rows[OLD_ID] == (
            f"Reopened: The problem recurred in {HIDDEN}",
            SECRET_ID,
            notes[OLD_ID],
        )
        assert rows[DUP_ID] == (f"Merged into {HIDDEN}", SECRET_ID, notes[DUP_ID])
        assert rows[PUBLIC_ID] == (notes[PUBLIC_ID], None, None)
    finally:
        db.dispose()
        upgrade(database_url)
