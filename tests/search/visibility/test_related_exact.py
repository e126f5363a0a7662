"""Related documents are the exact top of the scored list: pruning (kb.search.related) never
drops a better document, and a reader gets the best documents they may read, not fewer or
worse ones — also on an index of several segments with deleted documents."""

from __future__ import annotations

import dataclasses

import pytest

from kb.search import SearchIndex
from tests.search.visibility.readers import READERS, can_read

TOP = 3


def expected(index: SearchIndex, docs, doc_id: str, reader) -> list[str]:  # noqa: ANN001
    """Every relative, unpruned (a limit above the corpus), then the reader's first TOP."""
    readable = {d.id for d in docs if can_read(d, reader)}
    if doc_id not in readable:
        return []
    everything = index.more_like(doc_id, limit=len(docs) + 1)
    return [h.id for h in everything if h.id in readable][:TOP]


def check_all(index: SearchIndex, docs) -> None:  # noqa: ANN001
    for name, reader in READERS.items():
        for doc in docs:
            got = [h.id for h in index.more_like(doc.id, limit=TOP, reader=reader)]
            assert got == expected(index, docs, doc.id, reader), (name, doc.id)
    for doc in docs:
        got = [h.id for h in index.more_like(doc.id, limit=TOP)]
        assert got == [h.id for h in index.more_like(doc.id, limit=len(docs) + 1)][:TOP], doc.id


def test_related_are_the_best_the_reader_may_read(shared, docs):
    check_all(shared, docs)


@pytest.mark.parametrize("changed", [1, 5])
def test_related_on_segments_with_deletions(search_index, docs, changed):
    search_index.rebuild(docs, last_seq=1)
    edited = [dataclasses.replace(d, title=d.title + " revised") for d in docs[:changed]]
    search_index.apply(edited, [docs[-1].id], last_seq=2)  # a second segment, deletions
    remaining = edited + docs[changed:-1]
    assert search_index.more_like(docs[-1].id) == []
    check_all(search_index, remaining)
