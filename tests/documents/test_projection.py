"""The search index is a projection of the event log: it catches up, and rebuilds from nothing."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

from sqlalchemy import event

from kb.documents import projection, services
from kb.documents.models import Document
from kb.documents.projection import IndexProjection
from kb.search import SearchIndex
from kb.search.store import LOCK_FILE


def ids(results) -> list[str]:
    return [h.id for h in results.hits]


def test_catch_up_applies_new_events_once(kb, lesson_md):
    kb.projection.catch_up()  # a fresh folder is built from the (empty) database first
    assert kb.index.last_seq() == 0
    doc = services.create_document(kb.db, lesson_md(), type_hint="lesson", actor="a")
    assert kb.projection.catch_up() > 0
    assert ids(kb.index.query("interface")) == [doc.id]
    assert kb.projection.catch_up() == 0
    assert kb.projection.lag() == 0


def test_updates_replace_the_indexed_document(kb, lesson_md):
    doc = services.create_document(kb.db, lesson_md(), type_hint="lesson", actor="a")
    kb.projection.catch_up()
    source = services.get_revision(kb.db, doc.id).markdown
    services.update_document(
        kb.db,
        doc.id,
        source.replace("interface specification", "firmware"),
        base_version=1,
        actor="a",
    )
    kb.projection.catch_up()
    assert ids(kb.index.query("firmware")) == [doc.id]
    assert kb.index.query("title:specification").total == 0
    assert kb.index.doc_count() == 1


def test_a_deleted_index_folder_is_rebuilt_from_the_database(kb, lesson_md, tmp_path):
    for n in range(5):
        services.create_document(
            kb.db, lesson_md(f"Supplier lesson {n}"), type_hint="lesson", actor="a"
        )
    kb.projection.catch_up()
    kb.index.close()
    shutil.rmtree(kb.config.INDEX_DIR)
    fresh = SearchIndex(kb.config.INDEX_DIR)
    assert fresh.last_seq() is None
    projection = IndexProjection(kb.db, fresh)
    projection.catch_up()
    assert fresh.query("supplier").total == 5
    assert projection.lag() == 0
    fresh.close()


def test_two_indexes_follow_the_same_database(kb, lesson_md, tmp_path):
    other = SearchIndex(tmp_path / "second-host")
    follower = IndexProjection(kb.db, other)
    follower.catch_up()
    doc = services.create_document(
        kb.db, lesson_md("Cutover rehearsal found blockers"), type_hint="lesson", actor="a"
    )
    follower.catch_up()
    assert ids(other.query("rehearsal")) == [doc.id]
    other.close()


def test_project_rename_reaches_its_documents(kb, lesson_md):
    from kb.projects import services as projects

    services.create_document(
        kb.db, lesson_md(project="Atlas ERP Upgrade"), type_hint="lesson", actor="a"
    )
    kb.projection.catch_up()
    with kb.db.write() as s:
        projects.upsert_project(
            s,
            projects.parse_project(
                "---\nkey: ATLAS-ERP-UPGRADE\nname: Finance platform renewal\n---\n"
            ),
        )
    kb.projection.catch_up()
    assert kb.index.query("renewal").total == 1


def test_bulk_feeds_one_writer_and_applies_a_second_change_after_its_commit(kb, lesson_md):
    kept = services.create_document(kb.db, lesson_md("Kept lesson"), type_hint="lesson", actor="a")
    with kb.projection.bulk() as follow:  # the existing document is indexed first
        assert kb.index.doc_count() == 1
        doc = services.create_document(
            kb.db, lesson_md("Supplier lesson"), type_hint="lesson", actor="a"
        )
        assert follow() > 0
        source = services.get_revision(kb.db, doc.id).markdown
        services.update_document(
            kb.db, doc.id, source.replace("Supplier", "Firmware"), base_version=1, actor="a"
        )
        follow()
        assert kb.index.query("firmware").total == 0  # committed when the block ends
    assert ids(kb.index.query("firmware")) == [doc.id]
    assert kb.index.query("title:supplier").total == 0
    assert kb.index.doc_count() == 2
    assert ids(kb.index.query('"Kept lesson"')) == [kept.id]
    assert kb.projection.lag() == 0


def waits_for_the_writer_lock(folder: Path) -> bool:
    """Whether a thread of this process waits for the folder's writer lock: /proc/locks lists
    a blocked flock as "N: -> FLOCK ADVISORY WRITE pid major:minor:inode start end"."""
    blocked = (line.split() for line in Path("/proc/locks").read_text().splitlines())
    mine = (str(os.getpid()), (folder / LOCK_FILE).stat().st_ino)
    return any(f[1] == "->" and (f[5], int(f[6].rsplit(":", 1)[1])) == mine for f in blocked)


def test_the_follower_reads_again_when_an_import_committed_after_its_read(kb, lesson_md):
    """`kb import` indexes beside the running kb's follower (kb.cli). A follower that read a
    lesson, then waited for the writer lock while the import committed a newer copy of it,
    must not write its older copy over it: the newer one's event is behind the recorded
    last_seq, so nothing would ever index the lesson again."""
    kb.projection.catch_up()
    importer = IndexProjection(kb.db, SearchIndex(kb.config.INDEX_DIR))  # the other process
    applied = []
    follower = threading.Thread(target=lambda: applied.append(kb.projection.catch_up()))
    try:
        with importer.bulk() as follow:  # holds the writer lock
            doc = services.create_document(
                kb.db, lesson_md("Supplier lesson"), type_hint="lesson", actor="a"
            )
            follower.start()  # reads the lesson, then waits for the lock
            deadline = time.monotonic() + 30
            while not waits_for_the_writer_lock(kb.index.path):
                assert time.monotonic() < deadline and follower.is_alive()
                time.sleep(0.01)
            source = services.get_revision(kb.db, doc.id).markdown
            services.update_document(
                kb.db, doc.id, source.replace("Supplier", "Firmware"), base_version=1, actor="a"
            )
            follow()
        follower.join(30)
    finally:
        importer.index.close()
    assert ids(kb.index.query("title:firmware")) == [doc.id]
    assert kb.index.query("title:supplier").total == 0
    assert applied == [0]  # it read again: nothing after the import's last_seq
    assert kb.projection.lag() == 0


def test_far_behind_catch_up_applies_the_events_without_a_rebuild(kb, lesson_md, monkeypatch):
    first = services.create_document(kb.db, lesson_md("Marker"), type_hint="lesson", actor="a")
    kb.projection.catch_up()
    with kb.db.write() as s:  # out of the index's sight: a rebuild would index it
        s.get(Document, first.id).title = "Rebuilt"
    monkeypatch.setattr("kb.documents.projection.BULK_BEYOND", 2)
    made = [
        services.create_document(kb.db, lesson_md(f"Supplier {n}"), type_hint="lesson", actor="a")
        for n in range(4)
    ]
    assert kb.projection.catch_up() >= 4
    assert sorted(ids(kb.index.query("supplier"))) == sorted(d.id for d in made)
    assert kb.index.query("title:rebuilt").total == 0
    assert kb.projection.lag() == 0


def test_catch_up_looks_at_the_log_once_when_one_batch_holds_the_news(kb, lesson_md, monkeypatch):
    """A look that read everything up to the log's end applies it and stops (a commit after
    it wakes the follower again); more than a batch is applied batch after batch."""
    kb.projection.catch_up()
    looks = []

    def count(conn, cursor, statement, *args):  # noqa: ANN001
        if "max(events.seq)" in statement:
            looks.append(statement)

    event.listen(kb.db.engine, "before_cursor_execute", count)
    try:
        services.create_document(kb.db, lesson_md("First lesson"), type_hint="lesson", actor="a")
        assert kb.projection.catch_up() > 0
        assert len(looks) == 1
        monkeypatch.setattr(projection, "BATCH", 1)
        docs = [
            services.create_document(kb.db, lesson_md(f"Lesson {n}"), type_hint="lesson", actor="a")
            for n in range(3)
        ]
        looks.clear()
        assert kb.projection.catch_up() >= 3
        assert len(looks) >= 3  # a look per batch
    finally:
        event.remove(kb.db.engine, "before_cursor_execute", count)
    assert kb.projection.lag() == 0
    assert {d.id for d in docs} <= set(ids(kb.index.query("lesson", per_page=20)))


def test_the_follower_loop_is_told_no_second_look_is_needed(kb, lesson_md):
    """Its step applies what there is and says "nothing more at once": a commit after the
    look wakes the loop anyway, and the look that followed every step found nothing."""
    kb.projection.catch_up()
    doc = services.create_document(kb.db, lesson_md(), type_hint="lesson", actor="a")
    assert kb.projection.step() is False
    assert kb.projection.lag() == 0 and ids(kb.index.query("interface")) == [doc.id]


def test_the_follower_merges_when_a_look_finds_nothing_new(kb, lesson_md, monkeypatch):
    """A commit that makes a change visible merges nothing; the step whose look finds no
    news merges the small segments the commits left (once no commit came for a while)."""
    from kb.search import merges

    kb.projection.catch_up()
    made = []
    for n in range(6):  # a commit, a segment each
        made.append(
            services.create_document(
                kb.db, lesson_md(f"Supplier lesson {n}"), type_hint="lesson", actor="a"
            ).id
        )
        kb.projection.step()
    segments = lambda: len(kb.index._searcher().reader().leaf_readers())  # noqa: E731
    assert segments() == 6
    monkeypatch.setattr(merges, "TIDY_AFTER", 0.0)
    kb.projection.step()
    assert segments() == 2  # Whoosh's MERGE_SMALL: the first five into one
    assert sorted(ids(kb.index.query("supplier"))) == sorted(made)
