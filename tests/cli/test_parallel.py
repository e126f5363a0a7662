"""The parallel paths of `kb import` and `kb reindex`, through a real `kb` process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kb.cli import _parsers
from kb.documents import services
from kb.events.log.services import last_seq
from kb.search import SearchIndex

ROOT = Path(__file__).resolve().parents[2]
GEN = ROOT / "bench" / "corpus.py"
KB = Path(sys.executable).with_name("kb")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("corpus")
    subprocess.run(
        [sys.executable, str(GEN), "--n", "150", "--seed", "3", "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return out / "docs"


def kb_command(config, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, KB_DATABASE_URL=config.DATABASE_URL, KB_INDEX_DIR=config.INDEX_DIR)
    return subprocess.run([str(KB), *args], env=env, capture_output=True, text=True, timeout=300)


def test_import_with_worker_processes_and_parallel_reindex(kb, config, corpus):
    imported = kb_command(config, "import", "--workers", "2", str(corpus))
    assert imported.returncode == 0, imported.stderr
    assert "150 created, 0 updated, 0 unchanged, 0 rejected" in imported.stdout
    assert services.count_documents(kb.db) == {"lesson": 150}
    again = kb_command(config, "import", "--workers", "2", str(corpus))
    assert "0 created, 0 updated, 150 unchanged" in again.stdout

    reindexed = kb_command(config, "reindex", "--processes", "2")
    assert reindexed.returncode == 0, reindexed.stderr
    assert "Indexed 150 documents" in reindexed.stdout
    index = SearchIndex(config.INDEX_DIR)
    try:
        assert index.doc_count() == 150
        with kb.db.read() as s:
            assert index.last_seq() == last_seq(s)
        first = services.list_documents(kb.db, per_page=1, sort="id").items[0]
        assert first.id in {h.id for h in index.query(f'"{first.title}"').hits}
    finally:
        index.close()


def test_the_parsing_pool_takes_only_the_cores_indexing_leaves():
    # two cores, two indexing processes: parse in the importing process, not in a pool that
    # pickles every document there and back
    assert _parsers(10_000, indexing=2, cores=2) == 1
    assert _parsers(10_000, indexing=1, cores=2) == 1
    assert _parsers(10_000, indexing=2, cores=8) == 6
    assert _parsers(999, indexing=1, cores=8) == 1  # a small import: no pool at all
