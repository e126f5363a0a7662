"""BM25F scoring with each segment's field lengths held in memory.

Whoosh's BM25F asks the segment for a document's field length on every score, and with the
index read rather than mapped (kb.search.searchers) each ask is a seek and a one-byte read:
a quarter of a query's time went there (301,834 asks for the 50 benchmark queries). A
segment never changes once written, so its lengths are read once per field, on first use,
and kept per segment id until a merge retires the segment (as facets.FacetCache does). The
values are Whoosh's own (doc_field_length), so every score is what Whoosh computes.
"""

from __future__ import annotations

import threading

from whoosh import scoring
from whoosh.searching import Searcher


class LengthCache:
    """Per (segment id, field): the field length of each document of the segment."""

    def __init__(self) -> None:
        self._lists: dict[tuple[str, str], list[int | None]] = {}
        self._lock = threading.Lock()

    def lengths(self, searcher: Searcher, fieldname: str) -> list[int | None] | None:
        """The lengths of a one-segment searcher's documents, or None for any other."""
        reader = searcher.reader()
        segment = reader.segment() if reader.is_atomic() else None
        if segment is None:
            return None
        key = (segment.segment_id(), fieldname)
        kept = self._lists.get(key)
        if kept is None:
            kept = field_lengths(reader, fieldname)
            with self._lock:
                self._lists[key] = kept
        return kept

    def keep_only(self, searcher: Searcher) -> None:
        """Forget segments the given (newest) searcher no longer has."""
        live = {segment.segment_id() for segment in searcher.reader().segments() or []}
        with self._lock:
            for key in [k for k in self._lists if k[0] not in live]:
                del self._lists[key]


def field_lengths(reader, fieldname: str) -> list[int | None]:  # noqa: ANN001
    """Whoosh's doc_field_length of every document of a segment's reader (an IndexReader or
    a PerDocumentReader); None where Whoosh answers None (no length): the same error as
    Whoosh's if such a document were ever scored."""
    return [reader.doc_field_length(d, fieldname) for d in range(reader.doc_count_all())]


class BM25F(scoring.BM25F):
    """Whoosh's BM25F (same parameters, same scores), reading lengths from a LengthCache."""

    def __init__(self, cache: LengthCache) -> None:
        super().__init__()
        self.cache = cache

    def scorer(self, searcher: Searcher, fieldname: str, text: bytes, qf: float = 1):  # noqa: ANN201
        scorer = super().scorer(searcher, fieldname, text, qf=qf)
        if isinstance(scorer, scoring.BM25FScorer):
            lengths = self.cache.lengths(searcher, fieldname)
            if lengths is not None:
                scorer.dfl = lengths.__getitem__
        return scorer
