"""The visibility tests' indexes, built once for the folder: one shared index of the corpus and
the restricted documents, and per reader a reference index of only what that reader may read."""

from __future__ import annotations

import pytest

from kb.search import IndexDoc, SearchIndex
from tests.search.visibility.readers import READERS, can_read, restricted_docs


@pytest.fixture(scope="package")
def docs(corpus: list[IndexDoc]) -> list[IndexDoc]:
    return [*corpus, *restricted_docs(corpus[0])]


@pytest.fixture(scope="package")
def shared(tmp_path_factory: pytest.TempPathFactory, docs):
    ix = SearchIndex(tmp_path_factory.mktemp("visibility") / "index")
    ix.rebuild(docs, last_seq=1)
    yield ix
    ix.close()


@pytest.fixture(scope="package")
def references(tmp_path_factory: pytest.TempPathFactory, docs):
    """Per reader, an index of exactly the documents that reader may read."""
    indexes = {}
    for name, reader in READERS.items():
        ix = SearchIndex(tmp_path_factory.mktemp(f"reference-{name}") / "index")
        ix.rebuild([d for d in docs if can_read(d, reader)], last_seq=1)
        indexes[name] = ix
    yield indexes
    for ix in indexes.values():
        ix.close()
