"""Opening the index folder, and the searcher each serving thread keeps."""

from __future__ import annotations

import time
import weakref
from pathlib import Path

from whoosh import fields, index
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import MultiReader, SegmentReader
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
    """Whoosh's FileIndex, closing the segments it opened for a reader when a later one of
    them cannot be opened (a writer in another process deleted its file meanwhile; reader()
    then tries again): Whoosh dropped them open, each an unclosed-file warning."""

    @classmethod
    def _reader(cls, storage, schema, segments, generation, reuse=None):  # noqa: ANN001, ANN206
        if reuse is not None or len(segments) < 2:  # nothing opened before another fails
            return super()._reader(storage, schema, segments, generation, reuse=reuse)
        readers: list[SegmentReader] = []
        try:
            for segment in segments:
                readers.append(SegmentReader(storage, schema, segment, generation=generation))
        except BaseException:
            for reader in readers:
                reader.close()
            raise
        return MultiReader(readers, generation=generation)


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
