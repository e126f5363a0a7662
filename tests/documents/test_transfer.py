"""kb import / export: byte-for-byte round trips, idempotence, rejected files with reasons."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kb.documents import services
from kb.documents.transfer import export_tree, import_tree
from kb.paths.transfer import export_paths, import_paths
from kb.storage.files import check_name

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"
GEN_CORPUS = ROOT / "bench" / "corpus.py"


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*.md"))
        if p.is_file()
    }


def test_starter_content_round_trips_byte_for_byte(kb, tmp_path):
    report = import_tree(kb.db, CONTENT, actor="test")
    assert report.rejected == []
    assert len(report.created) >= 15 + 4 + 1
    paths = import_paths(kb.db, CONTENT, actor="test")
    assert paths.created == ["LP-0001", "LP-0002"] and paths.rejected == []
    export_tree(kb.db, tmp_path / "out")
    assert export_paths(kb.db, tmp_path / "out") == 2
    assert tree(tmp_path / "out") == tree(CONTENT)
    again = import_tree(kb.db, CONTENT, actor="test")
    assert again.created == [] and again.updated == [] and again.rejected == []
    assert import_paths(kb.db, CONTENT, actor="test").unchanged == ["LP-0001", "LP-0002"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    subprocess.run(
        [
            sys.executable,
            str(GEN_CORPUS),
            "--n",
            "120",
            "--seed",
            "7",
            "--out",
            str(out),
            "--style",
            "export",
        ],  # files from another tool: no ids, category / impact / date
        check=True,
        capture_output=True,
    )
    return out / "docs"


def test_foreign_files_get_ids_defaults_and_keep_unknown_keys(kb, generated, tmp_path):
    # a first migration: the projects the files name are registered on the way
    report = import_tree(kb.db, generated, actor="test", create_projects=True)
    assert report.rejected == [] and len(report.created) == 120 and report.registered
    doc = services.get_document(kb.db, report.created[0])
    assert doc.type == "lesson" and doc.id.startswith("LL-")
    assert {"category", "impact", "date"} <= set(doc.extra)
    assert doc.priority == doc.extra["impact"].lower()
    assert doc.occurred_on.isoformat() == doc.extra["date"]
    assert doc.status == "draft" and doc.polarity == "problem"
    # the same tree again changes nothing: files without ids are recognised by their path
    again = import_tree(kb.db, generated, actor="test")
    assert again.created == [] and again.updated == [] and len(again.unchanged) == 120


def test_export_then_import_into_an_empty_database_gives_back_the_same_bytes(
    kb, generated, tmp_path, sqlite_template
):
    import shutil

    from kb.config import Config
    from kb.context import Kb

    import_tree(kb.db, generated, actor="test", create_projects=True)
    export_tree(kb.db, tmp_path / "first")  # projects/*.md included
    empty = tmp_path / "empty.sqlite3"
    shutil.copy(sqlite_template, empty)
    other = Kb.open(Config(DATABASE_URL=f"sqlite:///{empty}", INDEX_DIR=str(tmp_path / "ix2")))
    try:
        report = import_tree(other.db, tmp_path / "first", actor="test")
        assert report.rejected == [] and len(report.created) == 120
        export_tree(other.db, tmp_path / "second")
    finally:
        other.close()
    assert tree(tmp_path / "second") == tree(tmp_path / "first")


def test_edited_file_is_updated_and_reported(kb, tmp_path, lesson_md):
    (tmp_path / "lessons").mkdir()
    path = tmp_path / "lessons" / "a.md"
    path.write_text(lesson_md(), encoding="utf-8")
    assert len(import_tree(kb.db, tmp_path, actor="t").created) == 1
    path.write_text(lesson_md().replace("late", "very late"), encoding="utf-8")
    report = import_tree(kb.db, tmp_path, actor="t")
    assert len(report.updated) == 1
    assert services.get_document(kb.db, report.updated[0]).version == 2


def test_bad_files_are_rejected_with_reasons_and_good_ones_imported(kb, tmp_path, lesson_md):
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "good.md").write_text(lesson_md(), encoding="utf-8")
    (lessons / "yaml.md").write_text("---\ntitle: [oops\n---\n", encoding="utf-8")
    (lessons / "notitle.md").write_text(lesson_md(title=""), encoding="utf-8")
    (lessons / "status.md").write_text(lesson_md(status="finished"), encoding="utf-8")
    (lessons / "topic.md").write_text(lesson_md(topics="[astrology]"), encoding="utf-8")
    (lessons / "date.md").write_text(lesson_md(occurred_on="March 2025"), encoding="utf-8")
    (lessons / "latin1.md").write_bytes(lesson_md().encode("utf-8") + "café".encode("latin-1"))
    (lessons / "huge.md").write_text(lesson_md(body="y" * (1024 * 1024 + 10)), encoding="utf-8")
    outside = tmp_path.parent / f"{tmp_path.name}-secret.md"
    outside.write_text(lesson_md("Secret"), encoding="utf-8")
    os.symlink(outside, lessons / "link.md")
    (tmp_path / "projects").mkdir()
    (tmp_path / "projects" / "BAD.md").write_text("---\nkey: bad key\n---\n", encoding="utf-8")

    report = import_tree(kb.db, tmp_path, actor="t")
    reasons = dict(report.rejected)
    assert len(report.created) == 1
    assert "not valid YAML" in reasons["lessons/yaml.md"]
    assert "required" in reasons["lessons/notitle.md"]
    assert "finished" in reasons["lessons/status.md"]
    assert "astrology" in reasons["lessons/topic.md"]
    assert "YYYY-MM-DD" in reasons["lessons/date.md"]
    assert "UTF-8" in reasons["lessons/latin1.md"]
    assert "limit" in reasons["lessons/huge.md"]
    assert "symbolic link" in reasons["lessons/link.md"]
    assert "key" in reasons["projects/BAD.md"]
    assert services.list_documents(kb.db).total == 1


@pytest.mark.parametrize(
    "name",
    [
        "../x.md",
        "/etc/passwd.md",
        "lessons/../../x.md",
        "C:/x.md",
        "．．／x.md",
        "a\\..\\..\\x.md",
        ".hidden.md",
        "a/\x00.md",
        "",
        "lessons/bad\udcffname.md",
        "lessons/esc\x1b[31m.md",
        "a\x85.md",
        "l/" + "x" * 300,
    ],
)
def test_dangerous_names_are_refused(name):
    assert check_name(name) is not None


def test_ordinary_names_are_accepted():
    assert check_name("lessons/LL-2025-0001-vendor-late.md") is None


@pytest.mark.parametrize("split", ["one batch", "a batch per file", "batch written file by file"])
def test_two_files_with_one_id_are_one_document_however_the_batches_fall(
    kb, tmp_path, lesson_md, monkeypatch, split
):
    from kb.documents import transfer

    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "a.md").write_text(lesson_md("First", id="LL-2025-0001"), encoding="utf-8")
    (lessons / "b.md").write_text(lesson_md("Second", id="LL-2025-0001"), encoding="utf-8")
    if split == "a batch per file":
        monkeypatch.setattr(transfer, "BATCH", 1)
    if split == "batch written file by file":
        # parses, but cannot take an assigned id: the batch fails and is written file by file
        (lessons / "flow.md").write_text("---\n{title: Flow style}\n---\nBody.\n", "utf-8")

    report = import_tree(kb.db, tmp_path, actor="t")

    assert report.created == ["LL-2025-0001"] and report.updated == []
    reasons = dict(report.rejected)
    assert "another file in this import is also LL-2025-0001" in reasons["lessons/b.md"]
    assert services.get_document(kb.db, "LL-2025-0001").title == "First"
    assert set(reasons) == {"lessons/b.md"} | ({"lessons/flow.md"} if "by file" in split else set())
    # the same tree again: the first file finds its document unchanged, the second is refused
    again = import_tree(kb.db, tmp_path, actor="t")
    assert again.unchanged == ["LL-2025-0001"] and again.updated == []
    assert "another file in this import is also" in dict(again.rejected)["lessons/b.md"]
    assert services.get_document(kb.db, "LL-2025-0001").version == 1


def _rows(kb, doc_id: str) -> dict:
    """What the database holds of a document, less what differs between two documents."""
    from sqlalchemy import select

    from kb.accounts.models import AuditEntry
    from kb.documents.models import Document, DocumentLabel, DocumentRevision
    from kb.events.log.models import Event

    def columns(row, *left_out: str) -> dict:
        return {
            c.key: getattr(row, c.key)
            for c in row.__table__.columns
            if c.key not in {"id", "document_id", "created_at", "updated_at", *left_out}
        }

    with kb.db.read() as s:
        event = s.scalars(select(Event).where(Event.data["id"].as_string() == doc_id)).one()
        return {
            "document": columns(s.get(Document, doc_id), "origin"),
            "labels": [
                columns(label)
                for label in s.scalars(
                    select(DocumentLabel).where(DocumentLabel.document_id == doc_id)
                )
            ],
            "revision": columns(
                s.scalars(
                    select(DocumentRevision).where(DocumentRevision.document_id == doc_id)
                ).one(),
                "markdown",
                "message",
            ),
            "audit": columns(
                s.scalars(select(AuditEntry).where(AuditEntry.target == doc_id)).one(),
                "at",
                "target",
            ),
            "event": (event.type, event.partition_key, event.data | {"id": "-"}),
        }


def test_an_imported_document_has_the_rows_a_save_writes(kb, tmp_path):
    """kb import inserts a batch's rows together (kb.documents.batch), not through the ORM:
    the same columns, labels, revision, audit entry and event as insert_prepared writes."""
    from tests.conftest import lesson_source, register_projects

    register_projects(kb, "ATLAS")
    source = lesson_source(updated="2025-04-01", visibility="restricted", groups="[finance]")
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "a.md").write_text(source)
    (imported,) = import_tree(kb.db, tmp_path, actor="test").created
    with kb.db.write() as s:
        saved = services.insert_prepared(
            s,
            services.prepare(source, type_hint="lesson"),
            actor="test",
            message="m",
            imported=True,
        ).id
    assert imported != saved
    imported_rows, saved_rows = _rows(kb, imported), _rows(kb, saved)
    assert imported_rows["document"]["changed_at"] is not None  # the file's `updated:` day
    assert len(imported_rows["labels"]) == 5
    assert imported_rows == saved_rows
