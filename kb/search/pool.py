"""The postings of a segment being written, kept by term rather than as one sorted list.

Whoosh's writer keeps each posting as a tuple (field, term, document, weight, value) in a
list that it sorts at the end, and spills to a temporary file, sorted, whenever the list
holds more than its limit (2.5 million postings for 10,000 lessons; a spill every ~800,000).
Sorting and merging those tuples was a third of an indexing process's time. Here each
field's terms hold their postings in the order they came, which is the documents' order (a
writer numbers documents one after another, and adds a merged segment's postings term by
term, its documents renumbered in order): only the distinct terms are sorted (~1 in 40 of
the postings), and a spilled run holds a term with all its postings. The postings that come
out are Whoosh's, in Whoosh's order, and so is every file written from them.
"""

from __future__ import annotations

import heapq
import itertools
import pickle
from collections.abc import Iterator
from operator import itemgetter

from whoosh import writing
from whoosh.codec.whoosh3 import W3FieldWriter, W3PostingsWriter

from kb.search.lengths import field_lengths

#: estimated bytes of a posting kept (three list slots, a value of a few bytes) and of a
#: term's own (its dict entry, list and bytes); the pool's limit is counted in these. For
#: 3,000 bench lessons they count 86 bytes a posting where tracemalloc finds 93 (a weight is
#: a float of its own): a bulk import's indexing process (limit 128 MB, kb.search.writers)
#: holds up to ~140 MB of postings before it spills
POSTING_BYTES = 80
TERM_BYTES = 200
#: terms pickled together in a spilled run
RUN_CHUNK = 2_000
#: runs read at once when merging; more are first merged in order, this many at a time
OPEN_RUNS = 64

_key = itemgetter(0, 1)


class TermPool(writing.PostingPool):
    """Whoosh's PostingPool (add, iter_postings, fieldnames, runs, cleanup) by term."""

    def __init__(self, tempstore, segment, limitmb: int = 128, **kwargs) -> None:  # noqa: ANN001
        super().__init__(tempstore, segment, limitmb=limitmb, **kwargs)
        #: field -> term -> [document, weight, value, document, weight, value, ...]
        self._fields: dict[str, dict[bytes, list]] = {}
        #: False once a term got a posting of a document not after its last one
        self._in_order = True

    @classmethod
    def like(cls, pool: writing.PostingPool) -> TermPool:
        """An empty pool with the settings of `pool` (a writer's, before any posting)."""
        fresh = cls(pool.tempstore, pool.segment)
        fresh.limit = pool.limit
        return fresh

    def add(self, item: tuple) -> None:
        fieldname, text, docnum, weight, value = item
        terms = self._fields.get(fieldname)
        if terms is None:
            terms = self._fields[fieldname] = {}
            self.fieldnames.add(fieldname)
        postings = terms.get(text)
        if postings is None:
            terms[text] = [docnum, weight, value]
            self.currentsize += TERM_BYTES + POSTING_BYTES
        else:
            if postings[-3] >= docnum:
                self._in_order = False
            postings += (docnum, weight, value)
            self.currentsize += POSTING_BYTES
        if self.currentsize > self.limit:
            self.save()

    def add_field(self, fieldname: str, docnum: int, items, boost: float, scorable: bool) -> int:  # noqa: ANN001
        """add() of each (term, frequency, weight, value) a field's index() gave for a
        document, the weight times `boost`, in one loop; the field's length when scorable."""
        terms = self._fields.get(fieldname)
        if terms is None:
            terms = self._fields[fieldname] = {}
            self.fieldnames.add(fieldname)
        length = count = new = 0
        for text, freq, weight, value in items:
            weight *= boost
            length += freq
            count += 1
            postings = terms.get(text)
            if postings is None:
                terms[text] = [docnum, weight, value]
                new += 1
            else:
                if postings[-3] >= docnum:
                    self._in_order = False
                postings += (docnum, weight, value)
        self.currentsize += count * POSTING_BYTES + new * TERM_BYTES
        if self.currentsize > self.limit:
            self.save()
        return length if scorable else 0

    def _terms(self) -> Iterator[tuple[str, bytes, list]]:
        """(field, term, postings) of what is held, in Whoosh's order: by field, term, then
        document (and, for one document twice, weight and value, as Whoosh's sort)."""
        for fieldname in sorted(self._fields):
            terms = self._fields[fieldname]
            for text in sorted(terms):
                postings = terms[text]
                yield fieldname, text, postings if self._in_order else _sorted(postings)

    def save(self) -> None:
        if self._fields:
            path, f = self._new_run()
            self._write_run(f, self._terms())
            self.runs.append(path)
        self._fields = {}
        self._in_order = True
        self.currentsize = 0

    def _write_run(self, f, items) -> None:  # noqa: ANN001
        items = iter(items)
        while chunk := list(itertools.islice(items, RUN_CHUNK)):
            pickle.dump(chunk, f, pickle.HIGHEST_PROTOCOL)
        f.close()

    def _read_run(self, path: str) -> Iterator[tuple[str, bytes, list]]:
        f = self._open_run(path)
        try:
            while chunk := _next_chunk(f):
                yield from chunk
        finally:
            f.close()
            self._remove_run(path)

    def term_postings(self) -> Iterator[tuple[str, bytes, list]]:
        """(field, term, postings: document, weight, value, ...) in Whoosh's order."""
        if not self.runs:
            return self._terms()
        self.save()
        runs, self.runs = self.runs, []
        while len(runs) > OPEN_RUNS:  # groups of neighbours, so the documents stay in order
            merged = []
            for start in range(0, len(runs), OPEN_RUNS):
                path, f = self._new_run()
                self._write_run(f, self._merged(runs[start : start + OPEN_RUNS]))
                merged.append(path)
            runs = merged
        return self._merged(runs)

    def _merged(self, runs: list[str]) -> Iterator[tuple[str, bytes, list]]:
        """The runs' terms in order, a term's postings from each run joined in the runs'
        order (a later run holds later documents; heapq.merge keeps the runs' order for
        equal keys)."""
        merged = heapq.merge(*(self._read_run(path) for path in runs), key=_key)
        for (fieldname, text), group in itertools.groupby(merged, key=_key):
            (_, _, postings), *others = group
            for _, _, more in others:
                if more[0] <= postings[-3]:  # not by Whoosh's writers: as Whoosh sorts them
                    postings = _sorted(postings + more)
                else:
                    postings += more
            yield fieldname, text, postings

    def iter_postings(self) -> Iterator[tuple]:
        """Whoosh's postings: (field, term, document, weight, value), sorted."""
        for fieldname, text, postings in self.term_postings():
            for i in range(0, len(postings), 3):
                yield fieldname, text, postings[i], postings[i + 1], postings[i + 2]


class AddsByTerm:
    """For a SegmentWriter whose pool is a TermPool: Whoosh's add_document, each field's
    postings handed to the pool in one call (Whoosh adds them one by one, a tuple each).
    Documents with boosts or custom stored values (`_` arguments), and schemas with term
    vectors or separate spelling fields, are left to Whoosh's."""

    #: whether the writer's schema and pool are the ones add_document knows (None: unknown)
    _kb_plain: bool | None = None

    def add_document(self, **fields) -> None:
        schema, pool = self.schema, self.pool
        if self._kb_plain is None:
            self._kb_plain = _plain(schema) and type(pool) is TermPool
        if not self._kb_plain or any(k[0] == "_" for k in fields):
            super().add_document(**fields)
            return
        self._check_state()
        docnum, perdocwriter, add_field = self.docnum, self.perdocwriter, pool.add_field
        fieldnames = sorted(fields)
        self._check_fields(schema, fieldnames)
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields[fieldname]
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    length = add_field(fieldname, docnum, field.index(value), 1.0, field.scorable)
                perdocwriter.add_field(fieldname, field, value if field.stored else None, length)
                if field.column_type:
                    column_value = field.to_column_value(value)
                    perdocwriter.add_column_value(fieldname, field.column_type, column_value)
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1


def _plain(schema) -> bool:  # noqa: ANN001
    """No field of the schema has term vectors or a separate spelling field."""
    return not any(f.vector or f.separate_spelling() for _, f in schema.items())


def write_postings(fieldwriter, schema, lengths, pool: TermPool) -> None:  # noqa: ANN001
    """What Whoosh's fieldwriter.add_postings(schema, lengths, pool.iter_postings()) writes,
    a block of a term's postings at a time: Whoosh adds each posting on its own (checks,
    statistics, a field length looked up), two thirds of the time of finishing a segment.
    `lengths`: the segment's per-document reader, or None (no length statistics)."""
    if type(fieldwriter) is not W3FieldWriter:
        fieldwriter.add_postings(schema, lengths, pool.iter_postings())
        return
    fieldname = None
    field_lengths_ = None
    for name, text, postings in pool.term_postings():
        if name != fieldname:
            if fieldname is not None:
                fieldwriter.finish_field()
            fieldname = name
            fieldwriter.start_field(name, schema[name])
            field_lengths_ = field_lengths(lengths, name) if lengths else None
        fieldwriter.start_term(text)
        _add_term(fieldwriter._postwriter, postings, field_lengths_)  # noqa: SLF001
        fieldwriter.finish_term()
    if fieldname is not None:
        fieldwriter.finish_field()


def _add_term(writer: W3PostingsWriter, postings: list, lengths: list | None) -> None:
    """The postings into the writer's block buffer, as its add_posting() one by one would:
    a full block is written when the next posting comes, the last one by finish_postings."""
    size = writer._blocklimit * 3  # noqa: SLF001
    for start in range(0, len(postings), size):
        if start:
            writer._write_block()  # noqa: SLF001
        block = postings[start : start + size]
        docs, weights = block[0::3], block[1::3]
        writer._ids.extend(docs)  # noqa: SLF001
        writer._weights.extend(weights)  # noqa: SLF001
        writer._values = [v for v in block[2::3] if v]  # noqa: SLF001
        writer._maxweight = max(0, max(weights))  # noqa: SLF001 (the first of the highest)
        if lengths is not None:
            known = [n for n in map(lengths.__getitem__, docs) if n]
            if known:
                writer._minlength, writer._maxlength = min(known), max(known)  # noqa: SLF001


def _sorted(postings: list) -> list:
    triples = sorted(zip(*[iter(postings)] * 3, strict=True))
    return list(itertools.chain.from_iterable(triples))


def _next_chunk(f) -> list:  # noqa: ANN001
    try:
        return pickle.load(f)
    except EOFError:
        return []
