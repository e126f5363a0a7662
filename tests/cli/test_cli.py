"""The `kb` command through Click's runner, against the test's database and index."""

from __future__ import annotations

from pathlib import Path

from kb.accounts import services as accounts
from kb.cli import main
from kb.documents import services as documents

CONTENT = Path(__file__).resolve().parents[2] / "content"


def test_init_loads_the_starter_content_once(runner, kb):
    first = runner.invoke(main, ["init"])
    assert first.exit_code == 0, first.output
    assert "created" in first.output and "0 rejected" in first.output
    second = runner.invoke(main, ["init"])
    assert second.exit_code == 0 and "Starter content" not in second.output
    # the starter process models' approvers: a group kb makes (its people are added later)
    assert [g.name for g in accounts.list_groups(kb.db)] == ["pmo"]
    assert documents.get_document(kb.db, "PM-0006").extra["approvers"] == ["pmo"]
    kb.index.close()  # the command built the index in this test's folder; reopen to read it
    from kb.search import SearchIndex

    assert SearchIndex(kb.config.INDEX_DIR).doc_count() >= 20


def test_import_export_reindex(runner, tmp_path, lesson_md):
    src = tmp_path / "src" / "lessons"
    src.mkdir(parents=True)
    (src / "one.md").write_text(lesson_md(), encoding="utf-8")
    (tmp_path / "src" / "projects").mkdir()
    (tmp_path / "src" / "projects" / "ATLAS.md").write_text("---\nkey: ATLAS\nname: Atlas\n---\n")
    (src / "bad.md").write_text("---\ntitle: [x\n---\n", encoding="utf-8")
    imported = runner.invoke(main, ["import", str(tmp_path / "src")])
    assert imported.exit_code == 1  # something was rejected: scripts must be able to tell
    assert "1 created, 0 updated, 0 unchanged, 1 rejected" in imported.output
    assert "rejected lessons/bad.md" in imported.output and "YAML" in imported.output
    exported = runner.invoke(main, ["export", str(tmp_path / "out")])
    assert exported.exit_code == 0 and "Exported 1 documents" in exported.output
    files = list((tmp_path / "out" / "lessons").glob("*.md"))
    assert [f.name for f in files] == [
        "LL-2025-0001-vendor-interface-specification-arrived-late.md"
    ]
    reindexed = runner.invoke(main, ["reindex"])
    assert reindexed.exit_code == 0 and "Indexed 1 documents" in reindexed.output


def test_import_of_a_missing_folder_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(main, ["import", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "does not exist" in result.output
