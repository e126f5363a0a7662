"""Opening the index folder, and the searcher each serving thread keeps."""

from __future__ import annotations

import time
import weakref
from pathlib import Path

from whoosh import fields, index
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import EmptyReader, MultiReader, SegmentReader
from whoosh.searching import Searcher

OPEN_ATTEMPTS = 10


def open_index(path: Path, schema: fields.Schema) -> index.Index:
    """The index in `path`, read with `schema` (the pickled one in the folder is never
    trusted). Files are read, not memory-mapped: Whoosh copies each mapped segment into a
    private buffer (BufferFile), so every thread's searcher held the index twice (~77 MB a
    thread at 10,000 lessons)."""
    # A writer in another process may replace the table of contents between Whoosh
    # listing the folder and reading it; Whoosh's reader() retries, open_dir() not.
    for attempt in range(OPEN_ATTEMPTS):
        try:
            return _Index(FileStorage(str(path), supports_mmap=False), schema=schema)
        except FileNotFoundError:
            if attempt == OPEN_ATTEMPTS - 1:
                raise
            time.sleep(0.05)
    raise AssertionError("unreachable")


class _Index(index.FileIndex):
    """Whoosh's FileIndex, but for how a reader opens its segments:

    - with `reuse` (the reader of this thread's previous searcher), the segment readers that
      read exactly what the new commit holds (the same segment, the same deleted documents)
      are taken over instead of opened again, and the others closed: after a commit that
      adds a segment, only that one is opened (~0.3 ms of CPU each, for every thread's first
      search after every commit). Whoosh's own reuse matched segments by id alone, keeping
      the deletions they had, and added the old reader's segments to the new ones;
    - the segments opened for a reader are closed when a later one cannot be opened (a
      writer in another process deleted its file meanwhile; reader() then tries again):
      Whoosh dropped them open, each an unclosed-file warning. What `reuse` holds is left
      as it was then, for the next try."""

    @classmethod
    def _reader(cls, storage, schema, segments, generation, reuse=None):  # noqa: ANN001, ANN206
        if not segments:
            if reuse is not None:
                reuse.close()
            return EmptyReader(schema)
        kept = {}
        if reuse is not None:
            kept = {_same(r.segment()): r for r, _ in reuse.leaf_readers() if _segment_of(r)}
        readers: list[SegmentReader] = []
        opened: list[SegmentReader] = []
        try:
            for segment in segments:
                reader = kept.pop(_same(segment), None)
                if reader is None:
                    reader = SegmentReader(storage, schema, segment, generation=generation)
                    opened.append(reader)
                readers.append(reader)
        except BaseException:
            for reader in opened:
                reader.close()
            raise
        for reader in kept.values():  # segments the commit retired or changed
            reader.close()
        if len(readers) == 1:
            readers[0]._gen = generation  # a reader taken over has the generation it was opened at
            return readers[0]
        return MultiReader(readers, generation=generation)


def _segment_of(reader) -> object:  # noqa: ANN001
    return getattr(reader, "segment", lambda: None)()


def _same(segment) -> tuple:  # noqa: ANN001
    """What a segment reader reads: its files (the segment) and its deleted documents."""
    return segment.segment_id(), segment.doc_count_all(), frozenset(segment.deleted_docs())


def reopen(ix: index.Index, previous: Searcher | None, **options) -> Searcher:
    """A searcher of the latest commit, taking over the segment readers of `previous` (this
    thread's searcher) that read what the commit holds; `previous` must not be used again."""
    if previous is None or previous.is_closed:
        return ix.searcher(**options)
    fresh = Searcher(ix.reader(reuse=previous.reader()), fromindex=ix, **options)
    previous._closereader = False  # its segments are the new reader's now, or closed
    previous.close()
    return fresh


class Slot:
    """A thread's searcher and what it reads (contents()). Its files stay open (they are
    read, not mapped), so it is closed when replaced, when the index closes, or when the
    thread ends and its slot goes."""

    __slots__ = ("_box", "contents", "__weakref__")

    def __init__(self) -> None:
        self._box: list[Searcher] = []
        self.contents: tuple = ()
        weakref.finalize(self, _close_all, self._box)

    @property
    def searcher(self) -> Searcher | None:
        return self._box[0] if self._box else None

    @searcher.setter
    def searcher(self, searcher: Searcher) -> None:
        self._box[:] = [searcher]


def contents(searcher: Searcher) -> tuple:
    """What a searcher reads: its generation and its segments' ids. The key of what is kept
    per index state (answers, relatives, reader sets): a generation alone is not, as an
    index folder made again (wiped, restored) numbers its generations from the start, while
    segment ids are random names."""
    reader = searcher.reader()
    segments = [getattr(leaf, "segment", lambda: None)() for leaf, _ in reader.leaf_readers()]
    return reader.generation(), tuple(s.segment_id() for s in segments if s is not None)


def close(searcher: Searcher) -> None:
    if not searcher.is_closed:
        searcher.close()


def _close_all(opened: list[Searcher]) -> None:
    for searcher in opened:
        close(searcher)
