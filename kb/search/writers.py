"""The Whoosh writers kb indexes with: Whoosh's own, but for how a segment is finished.

When a segment's postings are written, Whoosh asks for each posting's document field length
(it keeps the shortest and longest of each block), and answers from the length file it has
just written: a seek and a one-byte read per posting, most of the time of finishing a
segment. Here each field's lengths are read once into a list (kb.search.lengths), so a
segment's files are the same, written sooner.

With procs > 1, documents are analysed in that many forked processes, each writing a segment
of its own (multisegment: no long final merge; the existing small segments are merged by
Whoosh's usual policy at the commit).
"""

from __future__ import annotations

import itertools
import pickle
from collections.abc import Iterator

from whoosh import index, writing
from whoosh.multiproc import MpWriter, SubWriterTask

from kb.search.lengths import field_lengths

#: the writers' pool (indexing buffer) in all, as Whoosh estimates it (a process holds about
#: twice as much); above it postings spill to temporary files
LIMIT_MB = 256
#: postings pickled together in a spilled run
RUN_CHUNK = 10_000


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


class _Lengths:
    """What writing postings asks of a segment's per-document reader, each field read once."""

    def __init__(self, reader) -> None:  # noqa: ANN001 (Whoosh's PerDocumentReader)
        self._reader = reader
        self._lists: dict[str, list[int | None]] = {}

    def doc_field_length(self, docnum: int, fieldname: str) -> int | None:
        lengths = self._lists.get(fieldname)
        if lengths is None:
            lengths = self._lists[fieldname] = field_lengths(self._reader, fieldname)
        return lengths[docnum]


class _Pool(writing.PostingPool):
    """Whoosh's posting pool, but the runs it spills (its postings sorted, written to a
    temporary file whenever it holds more than its limit) are pickled in chunks: Whoosh
    pickles each posting to the unbuffered file on its own, a system call per posting and
    more to read it back, which made every posting of a spilling import cost twice as much."""

    @classmethod
    def like(cls, pool: writing.PostingPool) -> _Pool:
        """An empty pool with the settings of `pool` (a writer's, before any posting)."""
        fresh = cls(pool.tempstore, pool.segment)
        fresh.limit = pool.limit
        return fresh

    def _write_run(self, f, items) -> None:  # noqa: ANN001
        items = iter(items)
        while chunk := list(itertools.islice(items, RUN_CHUNK)):
            pickle.dump(chunk, f, pickle.HIGHEST_PROTOCOL)
        f.close()

    def _read_run(self, path: str) -> Iterator[tuple]:
        f = self._open_run(path)
        try:
            while chunk := _next_chunk(f):
                yield from chunk
        finally:
            f.close()
            self._remove_run(path)


def _next_chunk(f) -> list:  # noqa: ANN001
    try:
        return pickle.load(f)
    except EOFError:
        return []


class SegmentWriter(writing.SegmentWriter):
    def __init__(self, ix: index.Index, **options) -> None:
        super().__init__(ix, **options)
        self.pool = _Pool.like(self.pool)

    def _flush_segment(self) -> None:
        # Whoosh's, with the lengths read once per field
        self.perdocwriter.close()
        reader = self.per_document_reader() if self.codec.length_stats else None
        postings = self.pool.iter_postings()
        self.fieldwriter.add_postings(self.schema, reader and _Lengths(reader), postings)
        self.fieldwriter.close()
        if reader:
            reader.close()


class ProcessWriter(MpWriter, SegmentWriter):
    """Whoosh's MpWriter (multisegment) whose processes write with SegmentWriter above and
    the schema this writer has (Whoosh's open the folder's pickled one)."""

    def __init__(self, ix: index.Index, procs: int, **options) -> None:
        super().__init__(ix, procs=procs, multisegment=True, **options)
        self.pool = _Pool.like(self.pool)  # MpWriter runs Whoosh's SegmentWriter.__init__

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
