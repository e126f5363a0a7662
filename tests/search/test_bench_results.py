"""The benchmark queries find the same top 10 as before the search was made faster.

bench_top10.json holds, for each benchmark query (bench/corpus.py) and each kind of reader, the
top 15 ids and scores on a fixed generated corpus, written by the search code as it was before
the speed-ups (`python -m tests.search.test_bench_results OUT.json` on that code). Only
documents with equal scores may change places, or swap in and out at the tenth place.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from bench import corpus
from kb.documents.transfer import import_tree
from kb.search import Reader, SearchIndex

GOLDEN = Path(__file__).with_name("bench_top10.json")
N, SEED = 300, 1
READERS = {
    "all": None,
    "reader": Reader(username="someone", groups=frozenset({"finance"})),
    "anonymous": Reader(),
}


def top(index: SearchIndex) -> dict[str, dict[str, list[tuple[str, float]]]]:
    """reader kind -> query -> [(id, score)] of the first 15 hits."""
    return {
        kind: {
            q["q"]: [
                (h.id, round(h.score, 6))
                for h in index.query(q["q"], per_page=15, reader=reader).hits
            ]
            for q in corpus.query_list()
        }
        for kind, reader in READERS.items()
    }


def same_but_ties(before: list[list], after: list[tuple[str, float]]) -> bool:
    """after's first 10 = before's first 10, except that equal scores may reorder."""
    scores = dict((doc_id, score) for doc_id, score in before)
    now = after[:10]
    if [s for _, s in now] != [s for _, s in before[:10]]:
        return False
    cut = now[-1][1] if now else None
    must = {doc_id for doc_id, score in before[:10] if cut is None or score > cut}
    return all(scores.get(doc_id) == score for doc_id, score in now) and must <= {
        doc_id for doc_id, _ in now
    }


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_benchmark_queries_keep_their_top_ten(kb, tmp_path):
    corpus.write_corpus(tmp_path, N, SEED)
    assert import_tree(kb.db, tmp_path / "docs", actor="test").rejected == []
    kb.projection.catch_up()
    golden = json.loads(GOLDEN.read_text())
    now = top(kb.index)
    changed = [
        (kind, q)
        for kind in golden
        for q in golden[kind]
        if not same_but_ties(golden[kind][q], now[kind][q])
    ]
    assert changed == []
    assert sum(len(hits) for hits in now["reader"].values()) > 100  # the queries find things


def test_ties_may_reorder_nothing_else_may():
    before = [["a", 3.0], ["b", 2.0], ["c", 2.0], ["d", 1.0]]
    assert same_but_ties(before, [("a", 3.0), ("c", 2.0), ("b", 2.0), ("d", 1.0)])
    assert not same_but_ties(before, [("b", 2.0), ("a", 3.0), ("c", 2.0), ("d", 1.0)])
    assert not same_but_ties(before, [("a", 3.0), ("b", 2.0), ("c", 2.0), ("e", 1.0)])


if __name__ == "__main__":  # write the reference with the code checked out now
    import tempfile

    from kb import create_app
    from kb.config import Config
    from kb.migrate import upgrade

    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        upgrade(f"sqlite:///{root / 'kb.sqlite3'}")
        config = Config(
            DATABASE_URL=f"sqlite:///{root / 'kb.sqlite3'}",
            INDEX_DIR=str(root / "index"),
            CONTENT_DIR=str(root / "none"),
            SECRET_KEY="x",
            INDEXER_THREAD=False,
            WORKER_THREAD=False,
        )
        app = create_app(config)
        kb = app.extensions["kb"]
        corpus.write_corpus(root / "corpus", N, SEED)
        import_tree(kb.db, root / "corpus" / "docs", actor="test")
        kb.projection.catch_up()
        Path(sys.argv[1]).write_text(json.dumps(top(kb.index), indent=1, sort_keys=True))
        kb.close()
