"""One index writer kept open across many batches: a bulk import feeds it as each database
batch commits, and it commits once at the end (kb.documents.projection.IndexProjection.bulk).

Whoosh deletes reach only committed segments, so a document indexed in this writer cannot be
replaced or removed before the commit: a second change of it is left in `again`, for the
caller to apply after the commit. With processes > 1 the analysis runs in that many forked
processes (kb.search.writers).
"""

from __future__ import annotations

from collections.abc import Iterable

from whoosh import index

from kb.search import writers
from kb.search.records import IndexDoc
from kb.search.schema import doc_fields


class BulkWriter:
    """Used inside SearchIndex.bulk(), which holds the folder's writer lock and commits."""

    def __init__(self, ix: index.Index, processes: int) -> None:
        self.again: set[str] = set()
        #: the newest event this writer's content reflects (recorded when it commits)
        self.last_seq = 0
        self._seen: set[str] = set()
        self._writer = writers.open_writer(ix, **writers.bulk_options(processes))
        # Fork the indexing processes now, while the caller runs no thread yet (the import's
        # parsing pool starts one); Whoosh would fork them at the first batch.
        while processes > 1 and len(self._writer.tasks) < self._writer.procs:
            self._writer._new_task()  # noqa: SLF001 (whoosh-reloaded 2.7.5)

    def apply(self, upserts: Iterable[IndexDoc], deletes: Iterable[str]) -> None:
        for doc in upserts:
            if doc.id in self._seen:
                self.again.add(doc.id)
            else:
                self._seen.add(doc.id)
                self._writer.update_document(**doc_fields(doc))
        for doc_id in deletes:
            if doc_id in self._seen:
                self.again.add(doc_id)
            else:
                self._writer.delete_by_term("id", doc_id)

    def commit(self) -> None:
        if not getattr(self._writer, "_added_sub", True):  # its processes got no document
            writers.stop(self._writer)
        self._writer.commit()

    def cancel(self) -> None:
        writers.cancel(self._writer)
