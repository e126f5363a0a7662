"""Document services on a real database (each test runs on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from kb.core.errors import Conflict, NotFound, TooLarge, ValidationError
from kb.documents import services
from kb.documents.models import Document, DocumentRevision
from kb.events.log.models import Event
from kb.projects.models import Project


def counts(kb) -> tuple[int, int, int]:
    with kb.db.read() as s:
        return (
            s.scalar(select(func.count()).select_from(Document)),
            s.scalar(select(func.count()).select_from(DocumentRevision)),
            s.scalar(select(func.count()).select_from(Event)),
        )


def test_create_assigns_id_writes_revision_and_event(kb, lesson_md):
    doc = services.create_document(kb.db, lesson_md(), type_hint="lesson", actor="priya")
    assert doc.id == "LL-2025-0001"
    rev = services.get_revision(kb.db, doc.id)
    assert rev.number == 1 and rev.author == "priya"
    # the id is written into the stored source as the first front matter line, nothing else moves
    assert rev.markdown == lesson_md().replace("---\n", "---\nid: LL-2025-0001\n", 1)
    assert "<h2" in rev.html and "vendor delivered" in rev.text.lower()
    assert doc.topics == ["procurement", "schedule"] and doc.tags == ["interface", "vendor"]
    with kb.db.read() as s:
        types = list(s.scalars(select(Event.type).order_by(Event.seq)))
        assert s.get(Project, "ATLAS").name == "ATLAS"  # registered by lesson_md
    assert types == ["org.pmo.kb.lesson.created"]
    assert doc.project_key == "ATLAS"


def test_ids_follow_the_year_and_never_collide_with_imported_ones(kb, lesson_md):
    services.create_document(kb.db, lesson_md(id="LL-2025-0007"), type_hint="lesson", actor="a")
    nxt = services.create_document(kb.db, lesson_md("Second"), type_hint="lesson", actor="a")
    other_year = services.create_document(
        kb.db, lesson_md("Third", occurred_on="2024-01-02"), type_hint="lesson", actor="a"
    )
    assert nxt.id == "LL-2025-0008"
    assert other_year.id == "LL-2024-0001"
    with pytest.raises(Conflict):
        services.create_document(kb.db, lesson_md(id="LL-2025-0007"), type_hint="lesson", actor="a")


def test_unknown_front_matter_keys_are_kept(kb, lesson_md):
    doc = services.create_document(
        kb.db, lesson_md(sponsor="CFO", budget_line="BL-7"), type_hint="lesson", actor="a"
    )
    assert doc.extra == {"sponsor": "CFO", "budget_line": "BL-7"}
    assert "budget_line: BL-7" in services.get_revision(kb.db, doc.id).markdown


def test_update_makes_a_new_revision_and_stale_update_is_refused(kb, lesson_md):
    doc = services.create_document(kb.db, lesson_md(), type_hint="lesson", actor="a")
    source = services.get_revision(kb.db, doc.id).markdown
    updated = services.update_document(
        kb.db, doc.id, source.replace("late", "very late"), base_version=1, actor="b", message="fix"
    )
    assert updated.version == 2 and updated.title.endswith("very late")
    before = counts(kb)
    with pytest.raises(Conflict) as exc:
        services.update_document(kb.db, doc.id, source, base_version=1, actor="c")
    assert exc.value.details["current_version"] == 2
    assert counts(kb) == before  # nothing half-written
    assert [r.number for r in services.list_revisions(kb.db, doc.id)] == [2, 1]


def test_concurrent_saves_of_one_version_let_exactly_one_through(kb, lesson_md):
    doc = services.create_document(kb.db, lesson_md(), type_hint="lesson", actor="a")
    source = services.get_revision(kb.db, doc.id).markdown
    outcomes: list[str] = []

    def save(n: int) -> None:
        try:
            services.update_document(
                kb.db, doc.id, source + f"\nEdit {n}\n", base_version=1, actor=str(n)
            )
            outcomes.append("saved")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=save, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 5 + ["saved"]
    assert services.get_document(kb.db, doc.id).version == 2


def test_concurrent_creates_get_distinct_ids(kb, lesson_md):
    made: list[str] = []
    errors: list[Exception] = []

    def create(n: int) -> None:
        for i in range(5):
            try:
                made.append(
                    services.create_document(
                        kb.db, lesson_md(f"Lesson {n}-{i}"), type_hint="lesson", actor="a"
                    ).id
                )
            except Exception as exc:  # noqa: BLE001 - the assertion below reports it
                errors.append(exc)

    lesson_md()  # registers its project once, before the threads
    threads = [threading.Thread(target=create, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(made) == len(set(made)) == 20
    assert counts(kb)[0] == 20


def test_restore_brings_back_an_old_revision_as_a_new_one(kb, lesson_md):
    doc = services.create_document(kb.db, lesson_md(), type_hint="lesson", actor="a")
    first = services.get_revision(kb.db, doc.id, 1).markdown
    services.update_document(
        kb.db, doc.id, first.replace("published", "archived"), base_version=1, actor="a"
    )
    restored = services.restore_revision(kb.db, doc.id, 1, base_version=2, actor="b")
    assert restored.version == 3 and restored.status == "published"
    assert services.get_revision(kb.db, doc.id, 3).markdown == first
    assert services.get_revision(kb.db, doc.id, 3).message == "Restored revision 1"
    with pytest.raises(NotFound):
        services.restore_revision(kb.db, doc.id, 9, base_version=3, actor="b")


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"title": ""}, "title", "required"),
        ({"status": "done"}, "status", "one of"),
        ({"topics": "[procurement, vibes]"}, "topics", "vibes"),
        ({"occurred_on": "14/03/2025"}, "occurred_on", "YYYY-MM-DD"),
        ({"priority": "urgent"}, "priority", "one of"),
        ({"id": "LESSON-1"}, "id", "LL-2025-0042"),
        ({"tags": "[<script>]"}, "tags", "letters"),
    ],
)
def test_invalid_documents_are_refused_with_a_clear_message(kb, lesson_md, fields, field, words):
    before = counts(kb)
    with pytest.raises(ValidationError) as exc:
        services.create_document(kb.db, lesson_md(**fields), type_hint="lesson", actor="a")
    assert exc.value.field == field
    assert words in exc.value.message
    assert counts(kb) == before


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("---\ntitle: [unclosed\n---\nbody", "not valid YAML"),
        ("---\ntitle: x\n", "no closing"),
        ("---\n- a\n- b\n---\n", "key: value"),
        ("---\ntitle: x\ntype: memo\n---\n", "one of"),
        ("just text, no front matter", "`title` is required"),
        ("---\ntype: lesson\ntitle: x\n---\n\x00", "NUL"),
    ],
)
def test_malformed_sources_are_refused(kb, source, words):
    with pytest.raises(ValidationError) as exc:
        services.create_document(kb.db, source, type_hint="lesson", actor="a")
    assert words in exc.value.message


def test_documents_over_one_mebibyte_are_refused(kb, lesson_md):
    with pytest.raises(TooLarge):
        services.create_document(
            kb.db, lesson_md(body="x" * (1024 * 1024)), type_hint="lesson", actor="a"
        )


def test_a_failed_transaction_leaves_neither_change_nor_event(kb, lesson_md):
    prepared = services.prepare(lesson_md(), type_hint="lesson")
    before = counts(kb)
    with pytest.raises(RuntimeError), kb.db.write() as s:
        services.insert_prepared(s, prepared, actor="a", message="")
        s.flush()
        raise RuntimeError("crash after the insert, before the commit")
    assert counts(kb) == before


def test_list_documents_filters_and_pages(kb, lesson_md):
    services.create_document(kb.db, lesson_md("A", tags="[vendor]"), type_hint="lesson", actor="a")
    services.create_document(
        kb.db,
        lesson_md("B", phase="testing", polarity="success", tags="[other]"),
        type_hint="lesson",
        actor="a",
    )
    services.create_document(
        kb.db,
        lesson_md("C", project="HARBOUR", topics="[risk]", tags="[other]"),
        type_hint="lesson",
        actor="a",
    )
    assert services.list_documents(kb.db, {"tag": ["vendor"]}).total == 1
    assert [d.title for d in services.list_documents(kb.db, {"phase": ["testing"]}).items] == ["B"]
    assert services.list_documents(kb.db, {"polarity": ["success"]}).total == 1
    assert services.list_documents(kb.db, {"project": ["harbour"]}).total == 1
    assert services.list_documents(kb.db, {"topic": ["risk", "procurement"]}).total == 3
    assert services.list_documents(kb.db, {"topic": ["risk"], "phase": ["build"]}).total == 1
    page = services.list_documents(kb.db, per_page=2, page=2, sort="title")
    assert page.total == 3 and page.pages == 2 and [d.title for d in page.items] == ["C"]
    with pytest.raises(ValidationError):
        services.list_documents(kb.db, {"colour": ["red"]})


def test_current_revision_follows_the_version(kb, lesson_md):
    doc = services.create_document(kb.db, lesson_md("First words"), actor="a", type_hint="lesson")
    services.update_document(kb.db, doc.id, lesson_md("Second words"), base_version=1, actor="b")
    loaded = services.get_document(kb.db, doc.id, with_revision=True)
    assert (loaded.current_revision.number, loaded.current_revision.author) == (2, "b")
    assert "Second words" in loaded.current_revision.markdown
    assert services.get_revision(kb.db, doc.id).number == 2
    with kb.db.write() as s:  # a revision written in the session is current at once
        held = s.get(Document, doc.id)
        assert held.current_revision.number == 2
        changed = services.change_front_matter(
            s, held, {"summary": "Short"}, actor="c", message="Summary"
        )
        assert changed and held.current_revision.number == held.version == 3
        assert "summary: Short" in held.current_revision.markdown
        assert not services.change_front_matter(
            s, held, {"summary": "Short"}, actor="c", message="Again"
        )
    assert services.get_document(kb.db, doc.id).summary == "Short"
