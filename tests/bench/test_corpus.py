"""bench/corpus.py, the generated corpus the benchmarks and the import tests run on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import corpus
from kb.documents import services
from kb.documents.transfer import import_tree
from kb.markdown import frontmatter

ROOT = Path(__file__).resolve().parents[2]


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.mark.parametrize("style", ["kb", "export"])
def test_a_seed_writes_the_same_bytes_in_any_process(tmp_path, style):
    corpus.write_corpus(tmp_path / "here", 60, 5, style, processes=4 if style == "kb" else 0)
    # another interpreter with another hash seed: nothing may depend on set or dict order
    args = ["--n", "60", "--seed", "5", "--style", style, "--out", str(tmp_path / "there")]
    args += ["--processes", "4"] if style == "kb" else []
    env = dict(os.environ, PYTHONHASHSEED="123")
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "corpus.py"), *args],
        check=True,
        capture_output=True,
        env=env,
    )
    here, there = tree(tmp_path / "here"), tree(tmp_path / "there")
    assert len(here) > 60 and here == there
    assert (
        corpus.write_corpus(tmp_path / "seed6", 60, 6, style)["sha256"]
        != (corpus.write_corpus(tmp_path / "seed5", 60, 5, style)["sha256"])
    )


def test_a_small_corpus_is_the_start_of_a_big_one(tmp_path):
    corpus.write_corpus(tmp_path / "small", 20, 2)
    corpus.write_corpus(tmp_path / "big", 50, 2)
    small, big = tree(tmp_path / "small" / "docs"), tree(tmp_path / "big" / "docs")
    lessons = {k: v for k, v in small.items() if k.startswith("lessons/")}
    assert len(lessons) == 20 and lessons.items() <= big.items()


def front(folder: Path) -> list[dict]:
    return [frontmatter.split(p.read_text("utf-8"))[0] for p in sorted(folder.rglob("*.md"))]


def test_lessons_vary_like_a_real_lessons_log(tmp_path):
    corpus.write_corpus(tmp_path, 400, 1, processes=6)
    lessons = front(tmp_path / "docs" / "lessons")
    assert len(lessons) == 400
    for key, at_least in [
        ("polarity", 2),
        ("status", 5),
        ("priority", 4),
        ("phase", 9),
        ("project", 10),
        ("author", 10),
        ("visibility", 1),
    ]:
        assert len({m.get(key) for m in lessons} - {None}) >= at_least, key
    assert sum(m.get("visibility") == "restricted" for m in lessons) >= 4
    assert sum("processes" in m for m in lessons) >= 20
    assert len({t for m in lessons for t in m["topics"]}) >= 10
    assert len({str(m["occurred_on"])[:4] for m in lessons}) >= 8


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    corpus.write_corpus(out, 400, 1, processes=6)
    return out


def test_kb_reads_every_file_and_every_query_finds_lessons(kb, generated):
    report = import_tree(kb.db, generated / "docs", actor="test")
    assert report.rejected == []
    assert services.count_documents(kb.db) == {"lesson": 400, "process": 6}
    assert len(report.projects) >= 10
    kb.projection.catch_up()
    queries = corpus.query_list()
    kinds = {q["kind"] for q in queries}
    assert {"single", "two_words", "multi_word", "phrase", "field", "rare", "common"} <= kinds
    totals = {q["q"]: kb.index.query(q["q"], per_page=1).total for q in queries}
    assert [q for q, total in totals.items() if total == 0] == []
    rare = [totals[q["q"]] for q in queries if q["kind"] == "rare"]
    common = [totals[q["q"]] for q in queries if q["kind"] == "common"]
    assert max(rare) <= 4 and min(common) >= 200  # rare is rare, common is common


def test_files_from_another_tool_are_read_through_the_aliases(kb, tmp_path):
    corpus.write_corpus(tmp_path, 80, 4, style="export")
    # another tool's export names its projects by name and brings no project files: a first
    # migration registers them (kb import --create-projects)
    report = import_tree(kb.db, tmp_path / "docs", actor="test", create_projects=True)
    assert report.rejected == [] and len(report.created) == 80
    docs = [services.get_document(kb.db, i) for i in report.created]
    assert len({d.topics[0] for d in docs}) >= 5  # `category` mapped onto kb's topics
    assert len({d.priority for d in docs}) == 4 and {d.extra["category"] for d in docs}
