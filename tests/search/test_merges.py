"""The follower's commits leave out segments whose documents were all saved again."""

from __future__ import annotations

from whoosh import index

from kb.search import SearchIndex
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
