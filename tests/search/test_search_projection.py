"""The index as a projection: last_seq, apply, rebuild, schema version, dates."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from kb.search import SearchIndex
from kb.search.schema import SCHEMA_VERSION
from kb.search.store import META_FILE


def test_fresh_folder_is_created_empty_and_unbuilt(tmp_path):
    folder = tmp_path / "not" / "there"
    ix = SearchIndex(folder)
    try:
        assert folder.is_dir()
        assert ix.last_seq() is None
        assert ix.doc_count() == 0
        assert ix.query("").total == 0
    finally:
        ix.close()


def test_reopening_keeps_content_and_seq(tmp_path, corpus):
    ix = SearchIndex(tmp_path / "index")
    ix.rebuild(corpus, last_seq=42)
    ix.close()
    again = SearchIndex(tmp_path / "index")
    try:
        assert again.last_seq() == 42
        assert again.doc_count() == len(corpus)
    finally:
        again.close()


def test_apply_records_seq_and_never_moves_it_back(search_index: SearchIndex, doc_factory):
    search_index.rebuild([], last_seq=0)
    search_index.apply([doc_factory(id="LL-1")], [], last_seq=5)
    assert search_index.last_seq() == 5
    search_index.apply([doc_factory(id="LL-2")], [], last_seq=3)
    assert search_index.last_seq() == 5
    assert search_index.doc_count() == 2  # the documents were still applied
    search_index.apply([], [], last_seq=9)
    assert search_index.last_seq() == 9


def test_apply_after_a_last_seq_writes_nothing_once_another_writer_moved_it(
    search_index: SearchIndex, doc_factory
):
    search_index.rebuild([], last_seq=4)
    newer = doc_factory(id="LL-1", title="Firmware lesson")
    assert search_index.apply([newer], [], last_seq=6, after=4)  # another writer
    older = doc_factory(id="LL-1", title="Supplier lesson")  # read after event 4 too
    assert not search_index.apply([older], [], last_seq=5, after=4)
    assert [h.title for h in search_index.query("lesson").hits] == ["Firmware lesson"]
    assert search_index.last_seq() == 6


def test_apply_on_an_unbuilt_index_still_asks_for_a_rebuild(search_index, doc_factory):
    search_index.apply([doc_factory(id="LL-1")], [], last_seq=5)
    assert search_index.last_seq() is None
    search_index.rebuild([doc_factory(id="LL-1")], last_seq=5)
    assert search_index.last_seq() == 5


def test_apply_update_replaces_without_duplicates(search_index: SearchIndex, doc_factory):
    search_index.rebuild([doc_factory(id="LL-1", title="Old heading about turnips")], 1)
    search_index.apply([doc_factory(id="LL-1", title="New heading about parsnips")], [], 2)
    # The same id twice in one batch: the last one wins, still one document.
    search_index.apply(
        [
            doc_factory(id="LL-1", title="Newer heading about carrots"),
            doc_factory(id="LL-1", title="Newest heading about beetroot"),
        ],
        [],
        3,
    )
    assert search_index.doc_count() == 1
    assert search_index.query("turnips").total == 0
    assert search_index.query("carrots").total == 0
    (hit,) = search_index.query("beetroot").hits
    assert hit.title == "Newest heading about beetroot"


def test_delete_removes(search_index: SearchIndex, doc_factory):
    search_index.rebuild([doc_factory(id="LL-1"), doc_factory(id="LL-2")], 1)
    search_index.apply([], ["LL-1", "LL-unknown"], 2)
    assert [h.id for h in search_index.query("").hits] == ["LL-2"]
    # Upserted and deleted in one batch: deleted.
    search_index.apply([doc_factory(id="LL-3")], ["LL-3"], 3)
    assert search_index.doc_count() == 1


def test_rebuild_replaces_everything(search_index: SearchIndex, corpus, doc_factory):
    search_index.rebuild(corpus, last_seq=10)
    progress: list[int] = []
    count = search_index.rebuild(
        [doc_factory(id="GD-9", title="Only one left")], last_seq=11, progress=progress.append
    )
    assert count == 1
    assert progress[-1] == 1
    assert search_index.doc_count() == 1
    assert search_index.query("escrow").total == 0
    assert search_index.last_seq() == 11
    assert search_index.query("").facets["type"] == [("lesson", 1)]


def test_rebuild_skips_duplicate_ids(search_index: SearchIndex, doc_factory):
    assert search_index.rebuild([doc_factory(id="LL-1"), doc_factory(id="LL-1")], 1) == 1
    assert search_index.doc_count() == 1


def test_schema_version_mismatch_asks_for_a_rebuild(tmp_path, corpus):
    ix = SearchIndex(tmp_path / "index")
    try:
        ix.rebuild(corpus, last_seq=7)
        meta_path = tmp_path / "index" / META_FILE
        meta = json.loads(meta_path.read_text())
        assert meta == {"schema_version": SCHEMA_VERSION, "last_seq": 7}
        meta_path.write_text(json.dumps({"schema_version": SCHEMA_VERSION - 1, "last_seq": 7}))
        assert ix.last_seq() is None
        ix.rebuild(corpus, last_seq=8)
        assert ix.last_seq() == 8
    finally:
        ix.close()


def test_unreadable_meta_file_means_unbuilt(search_index: SearchIndex):
    search_index.rebuild([], last_seq=3)
    (search_index.path / META_FILE).write_text("{not json")
    assert search_index.last_seq() is None


def test_dates_are_stored_as_utc(search_index: SearchIndex, doc_factory):
    paris = timezone(timedelta(hours=2))
    search_index.rebuild(
        [
            doc_factory(id="A", date=datetime(2024, 5, 1, 1, 0, tzinfo=paris)),  # Apr 30 23:00Z
            doc_factory(id="B", date=datetime(2024, 4, 30, 23, 30)),  # naive = UTC
        ],
        last_seq=1,
    )
    hits = search_index.query("").hits
    assert [h.id for h in hits] == ["B", "A"]
    assert hits[1].date == datetime(2024, 4, 30, 23, 0, tzinfo=UTC)


def test_searchers_see_new_commits(search_index: SearchIndex, doc_factory):
    search_index.rebuild([], last_seq=0)
    assert search_index.query("").total == 0
    search_index.apply([doc_factory(id="LL-1")], [], 1)
    assert search_index.query("").total == 1


def test_empty_optional_fields_make_no_facet_bucket(search_index: SearchIndex, doc_factory):
    search_index.rebuild([doc_factory(id="LL-1", phase=None, project=None, tags=[])], 1)
    facets = search_index.query("").facets
    assert facets["phase"] == [] and facets["project"] == [] and facets["tag"] == []


def test_searcher_after_merges_sees_each_document_once(search_index, doc_factory):
    # Regression: Whoosh's Searcher.refresh() kept merged-away segments (doubles).
    search_index.rebuild([], last_seq=0)
    for n in range(1, 31):  # one commit each: the default policy merges small segments
        search_index.apply([doc_factory(id=f"LL-{n}")], [], n)
        assert search_index.query("").total == n
        assert search_index.doc_count() == n
    search_index.apply([doc_factory(id="LL-1", title="Changed")], [], 31)
    assert search_index.query("").total == 30


def test_folder_written_with_another_schema_is_replaced_by_rebuild(tmp_path, corpus):
    from whoosh import fields, index  # only to fake an index left by an older kb

    folder = tmp_path / "index"
    folder.mkdir()
    old = index.create_in(folder, fields.Schema(id=fields.ID(stored=True), text=fields.TEXT))
    writer = old.writer()
    writer.add_document(id="OLD-1", text="legacy content about escrow")
    writer.commit()
    (folder / META_FILE).write_text(json.dumps({"schema_version": 0, "last_seq": 99}))

    ix = SearchIndex(folder)
    try:
        assert ix.last_seq() is None
        ix.rebuild(corpus, last_seq=100)
        assert ix.last_seq() == 100
        assert ix.doc_count() == len(corpus)
        assert "OLD-1" not in {h.id for h in ix.query("escrow").hits}
        assert ix.query("", filters={"tag": ["escrow"]}).total == 2
    finally:
        ix.close()
