"""`kb import` on a tree holding every kind of odd entry at once: it finishes, rejects each odd
entry with a reason, imports the rest, and `kb export` then writes what was imported.

Through a real `kb` process with a deadline, so a hang (a FIFO opened for reading) fails the
test instead of blocking the suite; one process and worker processes must agree."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kb.documents import services
from kb.projects.services import list_projects
from kb.storage.files import MAX_DEPTH, count_files, read_tree

KB = Path(sys.executable).with_name("kb")
BIG = "9" * 5000
PROCESS = "---\ntype: process\ntitle: Big review period\nreview_period_months: {}\n---\n"


def kb_command(config, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, KB_DATABASE_URL=config.DATABASE_URL, KB_INDEX_DIR=config.INDEX_DIR)
    return subprocess.run([str(KB), *args], env=env, capture_output=True, text=True, timeout=240)


def odd_tree(root: Path, outside: Path, lesson_md) -> dict[str, str]:
    """Build the tree; return {path as reported: a word its reason contains ('' = any)}."""
    lessons, projects = root / "lessons", root / "projects"
    (lessons / "folder.md").mkdir(parents=True)
    projects.mkdir()
    outside.mkdir()
    (outside / "secret.md").write_text(lesson_md("Secret from elsewhere"), encoding="utf-8")
    # the good ones
    (lessons / "good.md").write_text(lesson_md("Good lesson"), encoding="utf-8")
    (lessons / "folder.md" / "inner.md").write_text(lesson_md("Inner lesson"), encoding="utf-8")
    (projects / "GOOD.md").write_text("---\nkey: GOOD\nname: Good project\n---\n", "utf-8")
    # names that are not text
    good = lesson_md("Odd name").encode()
    for raw in (b"bad\xffname.md", b"surrogate\xed\xb2\x80.md", b"esc\x1b[31m.md"):
        with open(os.fsencode(lessons) + b"/" + raw, "wb") as f:
            f.write(good)
    # entries that are not regular files
    os.mkfifo(lessons / "fifo.md")
    os.symlink(outside / "secret.md", lessons / "outside.md")
    os.symlink(outside, lessons / "elsewhere")
    os.symlink(lessons / "missing.md", lessons / "dangling.md")
    os.symlink(lessons / "loop.md", lessons / "loop.md")
    os.symlink(lessons / "good.md", lessons / "inside.md")
    deep = lessons.joinpath(*["d"] * MAX_DEPTH)
    deep.mkdir(parents=True)
    (deep / "deep.md").write_text(lesson_md("Too deep"), encoding="utf-8")
    # contents that are not text, too large, or that the parser or the database refuse
    with open(lessons / "huge.md", "wb") as f:
        f.truncate(64 * 1024 * 1024)  # sparse: nothing is written, nothing may be read
    (lessons / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    (lessons / "nul.md").write_text(lesson_md("Nul", body="a\x00b"), encoding="utf-8")
    (lessons / "surrogate-content.md").write_bytes(good + b"\xed\xa0\x80")
    (lessons / "empty.md").write_bytes(b"")
    (lessons / "bigint.md").write_text(PROCESS.format(BIG), encoding="utf-8")
    (projects / "BIG.md").write_text(f"---\nkey: BIG\nname: Big\nmanager: {BIG}\n---\n", "utf-8")
    # valid for the parser, refused when kb writes its id into it: fails inside a batch
    (lessons / "flow.md").write_text("---\n{title: Flow style}\n---\nBody.\n", "utf-8")
    return {
        "lessons/bad\\xffname.md": "UTF-8",
        "lessons/surrogate\\xed\\xb2\\x80.md": "UTF-8",
        "lessons/esc\\x1b[31m.md": "control character",
        "lessons/folder.md": "folder",
        "lessons/fifo.md": "FIFO",
        "lessons/outside.md": "outside",
        "lessons/elsewhere": "outside",
        "lessons/dangling.md": "does not exist",
        "lessons/loop.md": "loop",
        "lessons/inside.md": "not followed",
        "lessons/" + "/".join(["d"] * MAX_DEPTH): "deeper",
        "lessons/huge.md": "limit",
        "lessons/binary.md": "UTF-8",
        "lessons/nul.md": "NUL",
        "lessons/surrogate-content.md": "UTF-8",
        "lessons/empty.md": "",
        "lessons/bigint.md": "",
        "projects/BIG.md": "",
        "lessons/flow.md": "",
    }


@pytest.mark.parametrize("workers", ["1", "2"])
def test_odd_entries_are_rejected_with_reasons_and_the_rest_imported(
    kb, config, tmp_path, lesson_md, workers
):
    root = tmp_path / "tree"
    expected = odd_tree(root, tmp_path / "outside", lesson_md)

    imported = kb_command(config, "import", "--workers", workers, str(root))

    assert imported.returncode == 1, imported.stderr  # rejected files: scripts can tell
    assert "Traceback" not in imported.stderr
    rejected = dict(re.findall(r"^rejected (.+?): (.+)$", imported.stderr, re.MULTILINE))
    assert set(rejected) == set(expected), imported.stderr
    for path, word in expected.items():
        assert word in rejected[path] and rejected[path].strip(), (path, rejected[path])
    assert "\x1b" not in imported.stderr  # a control character never reaches the terminal
    assert f"2 created, 0 updated, 0 unchanged, {len(expected)} rejected" in imported.stdout
    titles = {d.title for d in services.list_documents(kb.db, per_page=50).items}
    assert titles == {"Good lesson", "Inner lesson"}
    # ATLAS: named by the good lessons
    assert [p.key for p in list_projects(kb.db)] == ["ATLAS", "GOOD"]

    exported = kb_command(config, "export", str(tmp_path / "out"))
    assert exported.returncode == 0, exported.stderr
    assert "Exported 2 documents, 2 projects and 0 paths" in exported.stdout
    assert len(list((tmp_path / "out" / "lessons").glob("*.md"))) == 2


def test_the_progress_count_matches_what_is_read(tmp_path, lesson_md):
    expected = odd_tree(tmp_path / "tree", tmp_path / "outside", lesson_md)
    sources = list(read_tree(tmp_path / "tree"))
    assert count_files(tmp_path / "tree") == len(sources) == len(expected) + 3
    read = {s.path for s in sources if s.problem is None}
    assert read == {
        "lessons/good.md",
        "lessons/folder.md/inner.md",
        "projects/GOOD.md",
        "lessons/empty.md",
        "lessons/bigint.md",
        "projects/BIG.md",
        "lessons/flow.md",
    }
