"""The Whoosh writers kb indexes with: Whoosh's own, but for how postings are kept and a
segment is finished (kb.search.pool: by term, a block at a time; a segment's files are the
same, written sooner).

With procs > 1, documents are analysed in that many forked processes, each writing a segment
of its own (multisegment: no long final merge; the existing small segments are merged by
Whoosh's usual policy at the commit).
"""

from __future__ import annotations

from whoosh import index, writing
from whoosh.multiproc import MpWriter, SubWriterTask

from kb.search.pool import AddsByTerm, TermPool, write_postings

#: the writers' pool (indexing buffer) in all, as Whoosh estimates it (a process holds about
#: twice as much); above it postings spill to temporary files
LIMIT_MB = 256


def bulk_options(processes: int) -> dict:
    """Writer settings for indexing many documents (a bulk import, a rebuild)."""
    options: dict = {"limitmb": LIMIT_MB, "timeout": 30.0}
    if processes > 1:
        options.update(procs=processes, limitmb=LIMIT_MB // processes)
    return options


def open_writer(ix: index.Index, procs: int = 1, **options) -> writing.SegmentWriter:
    """A writer of `ix`, as ix.writer(procs=procs, **options) would give."""
    if procs > 1:
        return ProcessWriter(ix, procs=procs, **options)
    return SegmentWriter(ix, **options)


class SegmentWriter(AddsByTerm, writing.SegmentWriter):
    def __init__(self, ix: index.Index, **options) -> None:
        super().__init__(ix, **options)
        self.pool = TermPool.like(self.pool)

    def _flush_segment(self) -> None:
        # Whoosh's, the postings written a block at a time (kb.search.pool)
        self.perdocwriter.close()
        reader = self.per_document_reader() if self.codec.length_stats else None
        write_postings(self.fieldwriter, self.schema, reader, self.pool)
        self.fieldwriter.close()
        if reader:
            reader.close()


class ProcessWriter(MpWriter, SegmentWriter):
    """Whoosh's MpWriter (multisegment) whose processes write with SegmentWriter above and
    the schema this writer has (Whoosh's open the folder's pickled one)."""

    def __init__(self, ix: index.Index, procs: int, **options) -> None:
        super().__init__(ix, procs=procs, multisegment=True, **options)
        self.pool = TermPool.like(self.pool)  # MpWriter runs Whoosh's SegmentWriter.__init__

    def _new_task(self) -> SubWriterTask:
        task = _Task(
            self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, True
        )
        task.schema = self.schema
        self.tasks.append(task)
        task.start()
        return task


class _Task(SubWriterTask):
    def run(self) -> None:
        # Whoosh's SubWriterTask.run for multisegment, with the writer and schema above
        ix = self.storage.open_index(self.indexname, schema=self.schema)
        writer = self.writer = SegmentWriter(ix, _lk=False, **self.kwargs)
        while self.running:
            job = self.jobqueue.get()
            if job is None:  # the parent's commit
                break
            self._process_file(*job)
        if not self.running:
            writer.cancel()
        else:
            fieldnames = writer.pool.fieldnames
            self.resultqueue.put((None, fieldnames, writer._finalize_segment()), timeout=5)


def cancel(writer: writing.SegmentWriter) -> None:
    stop(writer)
    writer.cancel()


def stop(writer: writing.SegmentWriter) -> None:
    """End a multiprocess writer's processes. Its own cancel() clears their running flag
    only in this process's copy of them: they would wait for work forever (and this
    process, at exit, for them)."""
    for task in getattr(writer, "tasks", ()):
        task.terminate()
        task.join()
    if hasattr(writer, "tasks"):
        writer.tasks = []
