"""Several writers share one folder and take turns; readers never fail meanwhile."""

from __future__ import annotations

import gc
import multiprocessing
import shutil
import threading
import warnings
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from kb.search import IndexDoc, SearchIndex, searchers
from kb.search.schema import build_schema
from tests.search.conftest import make_doc

WRITERS = 4
APPLIES = 25


def _doc(doc_id: str) -> IndexDoc:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    return IndexDoc(
        id=doc_id,
        type="lesson",
        title=f"Concurrent lesson {doc_id}",
        summary="",
        body="Written while other writers were busy with the same folder.",
        status="published",
        project="ATLAS",
        project_name="Atlas ERP Upgrade",
        phase="build",
        topics=["risk"],
        tags=["concurrency"],
        polarity="problem",
        priority="low",
        author=None,
        date=now,
        updated_at=now,
    )


def write_many(folder: str, worker: int) -> int:
    """Runs in a spawned process: its own SearchIndex, one commit per document."""
    ix = SearchIndex(folder)
    try:
        for n in range(APPLIES):
            ix.apply([_doc(f"W{worker}-{n:02d}")], [], last_seq=worker * 1000 + n)
    finally:
        ix.close()
    return APPLIES


def _read_until(ix: SearchIndex, done: threading.Event, counts: list[int], errors: list) -> None:
    while not done.is_set():
        try:
            counts.append(ix.query("", per_page=5).total)
            ix.query("concurrent lesson", filters={"tag": ["concurrency"]})
        except Exception as exc:  # the assertion below reports it
            errors.append(exc)


def test_writer_processes_take_turns_and_readers_never_fail(tmp_path):
    folder = tmp_path / "index"
    reader = SearchIndex(folder)
    reader.rebuild([], last_seq=0)
    done = threading.Event()
    counts: list[int] = []
    errors: list[Exception] = []
    watcher = threading.Thread(target=_read_until, args=(reader, done, counts, errors))
    watcher.start()
    try:
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(WRITERS, mp_context=spawn) as pool:
            futures = [pool.submit(write_many, str(folder), w) for w in range(WRITERS)]
            written = sum(f.result(timeout=300) for f in futures)
    finally:
        done.set()
        watcher.join()
    try:
        assert written == WRITERS * APPLIES
        assert errors == []
        assert counts and counts == sorted(counts)  # readers only ever see progress
        assert reader.doc_count() == WRITERS * APPLIES
        assert reader.query("").total == WRITERS * APPLIES  # no document seen twice
        ids = {h.id for h in reader.query("", per_page=100).hits}
        assert ids == {f"W{w}-{n:02d}" for w in range(WRITERS) for n in range(APPLIES)}
        assert reader.last_seq() == (WRITERS - 1) * 1000 + APPLIES - 1
    finally:
        reader.close()


def test_writer_threads_of_one_process_take_turns(search_index: SearchIndex):
    search_index.rebuild([], last_seq=0)

    def write(worker: int) -> None:
        for n in range(10):
            search_index.apply([_doc(f"T{worker}-{n}")], [], last_seq=worker * 100 + n)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    assert search_index.doc_count() == 40
    assert search_index.last_seq() == 309


def test_threads_share_one_index_and_get_the_same_answers(built_index: SearchIndex):
    queries = ["escrow", "vendor invoice", '"user acceptance testing"', "plan*", "", "risk"]
    expected = {q: [h.id for h in built_index.query(q).hits] for q in queries}

    def ask(n: int) -> tuple[str, list[str]]:
        q = queries[n % len(queries)]
        return q, [h.id for h in built_index.query(q).hits]

    with ThreadPoolExecutor(8) as pool:
        for q, found in pool.map(ask, range(200)):
            assert found == expected[q]


def test_an_answer_put_late_from_a_replaced_index_is_not_served(tmp_path, corpus, doc_factory):
    """What kb keeps per index state (answers, relatives) is keyed by the generation and the
    segments read. A folder made again numbers its generations from the start: keyed by the
    generation alone, an answer a slow thread put after the change (from the old folder) was
    served for the new one at the same generation."""
    path = tmp_path / "index"
    old = SearchIndex(path)
    old.rebuild(corpus, last_seq=1)
    old.query("escrow")  # this thread's searcher: the old folder's first build
    old.apply([doc_factory(id="LL-2025-0900", title="Escrow again")], [], last_seq=2)
    late = {}  # what a thread on the old folder's next generation kept

    def on_the_old_folder() -> None:
        late["answer"] = old.query("escrow")
        late["entries"] = list(old._answers._entries.items())
        late["related"] = old.more_like("LL-2025-0001")
        late["related_entries"] = list(old._related._entries.items())

    thread = threading.Thread(target=on_the_old_folder)
    thread.start()
    thread.join()
    assert late["answer"].total > 0 and late["related"]

    shutil.rmtree(path)  # made again, as many generations on, with other documents
    new = SearchIndex(path)
    new.rebuild([doc_factory(id="LL-2026-0001", title="Nothing alike")], last_seq=1)
    new.apply([doc_factory(id="LL-2026-0002", title="Still nothing")], [], last_seq=2)
    new.close()

    assert old.query("escrow").total == 0  # this thread moved on: the caches emptied
    for key, value in late["entries"]:  # ...and then the slow thread put what it found
        old._answers.put(key, value)
    for key, value in late["related_entries"]:
        old._related.put(key, value)
    assert old.query("escrow").total == 0
    assert old.more_like("LL-2025-0001") == []
    old.close()


def test_a_reader_that_cannot_open_every_segment_closes_those_it_opened(tmp_path, corpus):
    """A writer in another process may delete a segment's file while a reader opens the
    segments of the table of contents it read: the reader fails (and Whoosh tries again),
    and the segments it had opened are closed, not left open to the garbage collector."""
    index = SearchIndex(tmp_path / "index")
    for start in range(0, 9, 3):  # three commits, three segments (too few docs to merge)
        index.apply(corpus[start : start + 3], [], last_seq=start + 1)
    index.close()
    ix = searchers.open_index(tmp_path / "index", build_schema())
    toc = ix._read_toc()
    assert len(toc.segments) >= 2
    last = toc.segments[-1]
    for name in ix.storage.list():
        if name.startswith(last.segment_id()):
            ix.storage.delete_file(name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(FileNotFoundError):
            ix._reader(ix.storage, toc.schema, toc.segments, toc.generation)
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_a_thread_s_next_searcher_takes_over_the_readers_of_unchanged_segments(tmp_path):
    """After a commit only what changed is opened: the new segment, and a segment whose
    deleted documents changed (its old reader would still show them)."""
    ix = SearchIndex(tmp_path / "ix")

    def readers() -> dict:
        leaves = ix._searcher().reader().leaf_readers()
        return {r.segment().segment_id(): r for r, _ in leaves}

    ix.rebuild([make_doc(id="LL-1"), make_doc(id="LL-2")], 1)
    ix.apply([make_doc(id="LL-3")], [], 2)
    before = readers()
    ix.apply([make_doc(id="LL-4")], [], 3)  # a segment more
    after = readers()
    assert len(after) == 3 and all(after[s] is before[s] for s in before)
    first = next(s for s, r in after.items() if r.doc_count_all() == 2)
    ix.apply([make_doc(id="LL-1", title="Changed title")], [], 4)  # LL-1 deleted where it was
    changed = readers()
    assert changed[first] is not after[first] and changed[first].doc_count() == 1
    assert all(changed[s] is after[s] for s in after if s != first)
    hits = ix.query("", per_page=10).hits
    assert sorted(h.id for h in hits) == ["LL-1", "LL-2", "LL-3", "LL-4"]
    assert [h.title for h in hits if h.id == "LL-1"] == ["Changed title"]
    ix.close()
