"""kb.search.pool keeps a segment's postings by term: what comes out is Whoosh's sorted list."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.filedb.filestore import FileStorage

from kb.search.pool import TermPool

PROPERTY = settings(max_examples=200, deadline=None, derandomize=True, database=None)
#: (field, term, document, weight, value); documents of a term unique, as a writer adds them
POSTINGS = st.lists(
    st.tuples(
        st.sampled_from(["body", "title", "tags"]),
        st.sampled_from([b"a", b"b", b"run", b"\xc3\xa9"]),
        st.integers(0, 50),
        st.sampled_from([1.0, 2.0, 3.0, 1.5]),
        st.sampled_from([b"", b"\x01", b"\x02\x03", None]),
    ),
    max_size=200,
    unique_by=lambda p: p[:3],
)


def pooled(folder, postings: list[tuple], limit: int) -> tuple[list[tuple], int]:  # noqa: ANN001
    """What the pool gives back for the postings added in this order, and its runs."""
    pool = TermPool(FileStorage(str(folder)), None)
    pool.limit = limit
    for posting in postings:
        pool.add(posting)
    runs = len(pool.runs)
    return list(pool.iter_postings()), runs


@given(POSTINGS, st.sampled_from([1 << 30, 2_000, 500]), st.booleans())
@PROPERTY
def test_the_pool_gives_the_postings_sorted(tmp_path_factory, postings, limit, in_order):
    """In the documents' order (as writers add them) or not, kept or spilled in runs."""
    if in_order:
        postings = sorted(postings, key=lambda p: p[2])
    got, _ = pooled(tmp_path_factory.mktemp("runs"), postings, limit)
    assert got == sorted(postings)


def test_many_runs_are_merged_in_order(tmp_path):
    postings = [("body", b"term%d" % (n % 7), n, 1.0, b"\x01") for n in range(3000)]
    got, runs = pooled(tmp_path, postings, 2_000)
    assert runs > 64  # more than are read at once
    assert got == sorted(postings)
    assert not list(tmp_path.iterdir())  # every run removed
