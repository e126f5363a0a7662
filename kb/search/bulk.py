"""One index writer kept open across many batches: a bulk import feeds it as each database
batch commits, and it commits once at the end (kb.documents.projection.IndexProjection.bulk).

Whoosh deletes reach only committed segments, so a document indexed in this writer cannot be
replaced or removed before the commit: a second change of it is left in `again`, for the
caller to apply after the commit. With processes > 1 the analysis runs in that many forked
processes, each writing a segment of its own (no long final merge; the existing small
segments are merged by Whoosh's usual policy at the commit).
"""

from __future__ import annotations

from collections.abc import Iterable

from whoosh import index

from kb.search.records import IndexDoc
from kb.search.schema import doc_fields

#: the writers' pool (indexing buffer) in all; above it postings spill to temporary files
LIMIT_MB = 1024


def writer_options(processes: int) -> dict:
    """Whoosh writer settings for indexing many documents (also used by a rebuild)."""
    options: dict = {"limitmb": LIMIT_MB, "timeout": 30.0}
    if processes > 1:
        # multisegment: one segment per process instead of a long final merge
        options.update(procs=processes, multisegment=True, limitmb=LIMIT_MB // processes)
    return options


class BulkWriter:
    """Used inside SearchIndex.bulk(), which holds the folder's writer lock and commits."""

    def __init__(self, ix: index.Index, processes: int) -> None:
        self.again: set[str] = set()
        #: the newest event this writer's content reflects (recorded when it commits)
        self.last_seq = 0
        self._seen: set[str] = set()
        self._writer = ix.writer(**writer_options(processes))
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
            _stop(self._writer)
        self._writer.commit()

    def cancel(self) -> None:
        cancel(self._writer)


def cancel(writer) -> None:  # noqa: ANN001 (a Whoosh writer, of one process or several)
    _stop(writer)
    writer.cancel()


def _stop(writer) -> None:  # noqa: ANN001
    """End a multiprocess writer's processes. Its own cancel() clears their running flag
    only in this process's copy of them: they would wait for work forever (and this
    process, at exit, for them)."""
    for task in getattr(writer, "tasks", ()):
        task.terminate()
        task.join()
    if hasattr(writer, "tasks"):
        writer.tasks = []
