"""The follower's commits: no merge on the commit that makes a change visible, a merge of
the small segments when commits stop (or past merges.MOST_SEGMENTS), never a segment whose
documents were all saved again."""

from __future__ import annotations

from whoosh import index

from kb.search import SearchIndex, merges
from kb.search.schema import build_schema
from tests.search.conftest import make_doc


def test_a_commit_leaves_out_the_segments_no_document_is_left_in(tmp_path):
    ix = SearchIndex(tmp_path / "ix")
    ix.rebuild([make_doc(id="LL-2025-0001")], 1)
    ix.apply([make_doc(id="LL-2025-0002", title="Before the rename")], [], 2)
    ix.apply([make_doc(id="LL-2025-0002", title="After the rename")], [], 3)  # empties one
    ix.apply([make_doc(id="LL-2025-0003")], [], 4)
    opened = index.open_dir(str(tmp_path / "ix"), schema=build_schema())
    assert sorted(seg.doc_count_all() for seg in opened._segments()) == [1, 1, 1]
    with opened.searcher() as searcher:
        titles = {f["id"]: f.get("title") for f in searcher.all_stored_fields()}
    assert set(titles) == {"LL-2025-0001", "LL-2025-0002", "LL-2025-0003"}
    assert titles["LL-2025-0002"] in (None, "After the rename")  # stored or not, not the old


def live_segments(folder) -> list[int]:  # noqa: ANN001
    """The live documents of each segment with any, smallest first."""
    opened = index.open_dir(str(folder), schema=build_schema())
    return sorted(n for seg in opened._segments() if (n := seg.doc_count()) > 0)


def test_a_commit_that_makes_a_change_visible_merges_nothing(tmp_path):
    """Whoosh's policy merged the small segments on every fourth or fifth commit, and the
    change that commit made visible waited for the merge."""
    ix = SearchIndex(tmp_path / "ix")
    ix.rebuild([make_doc(id="LL-2025-0001")], 1)
    for n in range(2, merges.MOST_SEGMENTS + 1):
        ix.apply([make_doc(id=f"LL-2025-{n:04d}")], [], n)
        assert ix.query("").total == n
    assert live_segments(tmp_path / "ix") == [1] * merges.MOST_SEGMENTS
    ix.close()


def test_commits_past_most_segments_merge_the_smallest(tmp_path):
    ix = SearchIndex(tmp_path / "ix")
    ix.rebuild([make_doc(id=f"LL-2024-{n:04d}") for n in range(1, 31)], 1)
    ids = {f"LL-2024-{n:04d}" for n in range(1, 31)}
    for n in range(2, 3 * merges.MOST_SEGMENTS):
        doc_id = f"LL-2025-{n // 2:04d}"  # each saved twice: the first copy's segment empties
        ix.apply([make_doc(id=doc_id, title=f"Version {n}")], [], n)
        ids.add(doc_id)
        segments = live_segments(tmp_path / "ix")
        assert len(segments) <= merges.MOST_SEGMENTS
        assert sum(segments) == len(ids) == ix.doc_count()
    assert max(segments) == 30  # the large segment was never rewritten
    assert sorted(h.id for h in ix.query("", per_page=100).hits) == sorted(ids)
    ix.close()


def test_tidy_merges_the_small_segments_once_commits_stop(tmp_path, monkeypatch):
    ix = SearchIndex(tmp_path / "ix")
    ix.rebuild([], 1)
    distinct = merges.MOST_SEGMENTS - 1  # too few segments for a commit to merge
    for n in range(2, distinct + 5):
        ix.apply([make_doc(id=f"LL-2025-{n % distinct:04d}", title=f"Version {n}")], [], n)
    before = sorted((h.id, h.title) for h in ix.query("", per_page=100).hits)
    monkeypatch.setattr(merges, "TIDY_AFTER", 3600.0)
    assert not ix.tidy()  # commits came too recently
    assert len(live_segments(tmp_path / "ix")) == distinct
    monkeypatch.setattr(merges, "TIDY_AFTER", 0.0)
    assert ix.tidy()
    segments = live_segments(tmp_path / "ix")
    assert len(segments) < 5 and sum(segments) == distinct
    assert merges.smallest(live_segments_of(tmp_path / "ix")) == []
    assert sorted((h.id, h.title) for h in ix.query("", per_page=100).hits) == before
    assert not ix.tidy()  # nothing committed since: nothing to look at
    ix.close()


def live_segments_of(folder) -> list:  # noqa: ANN001
    opened = index.open_dir(str(folder), schema=build_schema())
    return [seg for seg in opened._segments() if seg.doc_count() > 0]
