"""SearchIndex: the Whoosh projection of the database, behind a small facade.

The database is the source of truth; this index records the last event sequence number it
applied and can always be rebuilt. One writer at a time per folder (an OS file lock, so
processes take turns instead of losing writes to Whoosh's LockError); readers never block.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from whoosh import index, query, writing
from whoosh.searching import Searcher

from kb.core.lru import LruCache
from kb.search import (
    access,
    answers,
    bulk,
    collect,
    facets,
    lengths,
    merges,
    postings,
    present,
    related,
    searchers,
    store,
    writers,
)
from kb.search.querylang import build_filter, can_relax, make_parser, parse, validate
from kb.search.records import (
    Hit,
    IndexDoc,
    IndexUnavailable,
    QueryError,
    Reader,
    SearchResults,
)
from kb.search.schema import SCHEMA_VERSION, build_schema, doc_fields

log = logging.getLogger(__name__)

SORTS, MAX_PER_PAGE = ("relevance", "date"), 100
# Below this many hits a "did you mean" is worth its extra work.
SUGGEST_BELOW = 3
PROGRESS_EVERY = 500
RELATED_CACHE, HIDDEN_CACHE = 4096, 256
# finished answers of identical requests (query, filters, sort, page, reader's access)
ANSWER_CACHE = 256


class SearchIndex:
    """One index folder. Open it once per process and share it between threads: each
    thread gets its own searcher; writes from any thread or process take turns."""

    def __init__(self, path: str | os.PathLike, *, time_limit: float = 1.0) -> None:
        self.path = Path(path)
        self.time_limit = time_limit
        self._schema = build_schema()
        self._parser = make_parser(self._schema)
        self._relaxed_parser = make_parser(self._schema, relaxed=True)
        self.path.mkdir(parents=True, exist_ok=True)
        if not self._has_index():
            with store.write_lock(self.path):
                if not self._has_index():  # another process may have won
                    index.create_in(self.path, self._schema)
        self._ix = self._open()
        self._local = threading.local()
        self._searchers: weakref.WeakSet[Searcher] = weakref.WeakSet()
        self._searchers_lock = threading.Lock()
        # (index contents, doc id, limit, access_key(reader)) -> related hits
        self._related: LruCache[list[Hit]] = LruCache(RELATED_CACHE, copy=list)
        # (index contents, access_key(reader)) -> document numbers that reader may see
        self._hidden = access.HiddenSets(HIDDEN_CACHE)
        self._facet_cache = facets.FacetCache()
        self._lengths = lengths.LengthCache()
        self._postings = postings.PostingCache()
        self._answers: LruCache[SearchResults] = LruCache(ANSWER_CACHE, copy=answers.copy_results)
        self._contents: tuple | None = None  # what the three caches above were filled from
        self._follower = store.FollowerRole(self.path)
        # apply() commits without merging; tidy() merges once commits stop for a moment
        self._untidy, self._committed = False, 0.0

    # -- projection state ------------------------------------------------------------

    def last_seq(self) -> int | None:
        """None when never built or built by another schema version: rebuild then."""
        meta = store.read_meta(self.path)
        if meta.get("schema_version") != SCHEMA_VERSION:
            return None
        seq = meta.get("last_seq")
        return seq if type(seq) is int else None  # not a JSON true/false either

    def is_follower(self) -> bool:
        """Whether this process is the one that applies the event log to this folder (taking
        the role when it is free); the host's other processes only read the index."""
        return self._follower.held()

    def doc_count(self) -> int:
        return self._searcher().doc_count()

    def apply(
        self,
        upserts: Iterable[IndexDoc],
        deletes: Iterable[str],
        last_seq: int,
        *,
        after: int | None = None,
    ) -> bool:
        """Upsert and delete by id, commit, then record last_seq (never backwards); whether
        it did.

        With `after`, the index's last_seq the caller read its documents after: when another
        writer has recorded a different one since (a `kb import` beside the running kb's
        follower), nothing is written and the caller reads again. That writer may have
        committed a newer copy of a document read here; written over it, the older copy would
        stay, its events being behind the recorded last_seq.

        An id both upserted and deleted in one call ends up deleted. Whoosh deletes only
        reach committed segments, so duplicates within a call are collapsed first (the
        last upsert of an id wins) rather than left as two copies.
        """
        latest = {doc.id: doc for doc in upserts}
        gone = set(deletes)
        with store.write_lock(self.path):
            if after is not None and self.last_seq() != after:
                return False
            if latest or gone:
                writer = writers.open_writer(self._ix, timeout=30.0)
                try:
                    for doc_id, doc in latest.items():
                        if doc_id not in gone:
                            writer.update_document(**doc_fields(doc))
                    for doc_id in gone:
                        writer.delete_by_term("id", doc_id)
                    writer.commit(mergetype=merges.visible)
                except BaseException:
                    writer.cancel()
                    raise
                self._untidy, self._committed = True, time.monotonic()
            store.advance_meta(self.path, last_seq)
        return True

    def tidy(self) -> bool:
        """Merge the small segments apply() left (merges.small), in commits of their own, once
        no commit came for merges.TIDY_AFTER seconds; whether it looked. A merge on apply()'s
        commit kept the change it made visible waiting for it."""
        if not self._untidy or time.monotonic() - self._committed < merges.TIDY_AFTER:
            return False
        with store.write_lock(self.path):
            merges.merge_small(self._ix)
        self._untidy = False
        return True

    def rebuild(
        self,
        docs: Iterable[IndexDoc],
        last_seq: int,
        progress: Callable[[int], None] | None = None,
        *,
        processes: int = 1,
    ) -> int:
        """Replace the whole content with docs; readers keep the old view until commit.

        processes > 1 indexes in that many forked processes (measured on 10,000 lessons with
        2 cores: 1,266 docs/s against 664 with one). Only for single-threaded callers such
        as the command line: forking a process that runs threads is not safe.
        """
        with store.write_lock(self.path):
            writer = writers.open_writer(self._ix, **writers.bulk_options(processes))
            seen: set[str] = set()
            try:
                for doc in docs:
                    if doc.id in seen:
                        log.warning("rebuild: duplicate document %s skipped", doc.id)
                        continue
                    seen.add(doc.id)
                    writer.add_document(**doc_fields(doc))
                    if progress and len(seen) % PROGRESS_EVERY == 0:
                        progress(len(seen))
                # CLEAR drops every existing segment in the same commit.
                writer.commit(mergetype=writing.CLEAR)
            except BaseException:
                writers.cancel(writer)
                raise
            store.write_meta(self.path, {"schema_version": SCHEMA_VERSION, "last_seq": last_seq})
        if progress:
            progress(len(seen))
        log.info("search index rebuilt: %d documents, last_seq %d", len(seen), last_seq)
        return len(seen)

    @contextmanager
    def bulk(self, *, processes: int = 1) -> Iterator[bulk.BulkWriter]:
        """One writer for many batches (a bulk import), committed on leaving the block with
        the `last_seq` the caller set on it; holds the writer lock until then."""
        with store.write_lock(self.path):
            writer = bulk.BulkWriter(self._ix, processes)
            try:
                yield writer
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            store.advance_meta(self.path, writer.last_seq)

    # -- searching -------------------------------------------------------------------

    def query(
        self,
        q: str,
        *,
        filters: Mapping[str, Sequence[str]] | None = None,
        sort: str = "relevance",
        page: int = 1,
        per_page: int = 20,
        reader: Reader | None = None,
    ) -> SearchResults:
        """One page of results for what a person typed, with facets over all of them and
        perhaps a "did you mean". With a reader, everything (hits, total, facets,
        snippets, suggestion) comes from the documents that reader may see; without
        one, from every document (trusted internal callers only)."""
        if sort not in SORTS:
            raise QueryError(f"Unknown sort {sort!r}; use relevance or date.")
        if page < 1:
            raise QueryError("Page numbers start at 1.")
        if per_page < 1:
            raise QueryError("At least one result per page is needed.")
        per_page = min(per_page, MAX_PER_PAGE)
        text = (q or "").strip()
        validate(text)
        # Browsing by facets (no words): every document, newest first.
        sort = sort if text else "date"
        filter_q = build_filter(filters)
        searcher = self._searcher()
        # What the answer comes from and what the reader may see: equal keys are equal
        # answers for readers who see the same.
        contents = self._local.slot.contents
        key = (contents, access.access_key(reader), filter_q, text, sort, page, per_page)
        cached = self._answers.get(key)
        if cached is not None:
            return cached
        parsed = parse(self._parser, text) if text else query.Every()
        if parsed is query.NullQuery:  # only stop words or punctuation
            return SearchResults(text, 0, page, per_page, 0, [], facets.empty_facets(), None, sort)
        answer = self._answer(searcher, text, parsed, filter_q, reader, sort, page, per_page)
        self._answers.put(key, answer)
        return answer

    def _answer(
        self,
        searcher: Searcher,
        text: str,
        parsed: query.Query,
        filter_q: query.Query | None,
        reader: Reader | None,
        sort: str,
        page: int,
        per_page: int,
    ) -> SearchResults:
        budget = collect.Budget(self.time_limit, self._postings.decoded_here)
        limit = page * per_page
        hidden = self._hidden.get(searcher, reader, self._local.slot.contents)
        results, matched = collect.top(searcher, parsed, filter_q, hidden, sort, limit, budget)
        relaxed = False
        if not matched and can_relax(text, parsed):
            # Nothing has every word: rank documents by how many words they have instead
            # of showing a dead end.
            relaxed_q = parse(self._relaxed_parser, text)
            results, matched = collect.top(
                searcher, relaxed_q, filter_q, hidden, sort, limit, budget
            )
            relaxed = True
        total = len(matched)
        start = (page - 1) * per_page
        hits = present.make_hits(
            results, start, start + per_page, highlighted=bool(text), scored=sort == "relevance"
        )
        suggestion = None
        if text and (relaxed or total < SUGGEST_BELOW):
            suggestion = present.better_suggestion(
                searcher, self._parser, text, filter_q, hidden, 0 if relaxed else total, budget
            )
        return SearchResults(
            query=text,
            total=total,
            page=page,
            per_page=per_page,
            pages=math.ceil(total / per_page),
            hits=hits,
            facets=facets.facet_counts(searcher, matched, self._facet_cache),
            suggestion=suggestion,
            sort=sort,
        )

    def more_like(self, doc_id: str, limit: int = 5, *, reader: Reader | None = None) -> list[Hit]:
        """Documents sharing the most distinctive words, tags and topics of doc_id
        (an unknown id has no relatives: []). With a reader, only documents that reader
        may see, and nothing at all for a doc_id they may not see.

        Cached: the query costs ~15 ms on 10,000 documents, and every document page asks
        for it. The key holds the reader's access (readers who see the same documents
        share entries, no one is served another's) and the index contents the answer was
        computed from (searchers.contents: a thread still on an older searcher cannot leave
        an entry that a newer one would serve after a document became restricted)."""
        searcher = self._searcher()
        key = (self._local.slot.contents, doc_id, limit, access.access_key(reader))
        kept = self._related.get(key)
        if kept is not None:
            return kept
        try:
            hidden = self._hidden.get(searcher, reader, self._local.slot.contents)
            hits = related.related_hits(searcher, doc_id, limit, hidden)
        except (OSError, index.IndexError) as exc:
            raise IndexUnavailable(f"The search index cannot be read: {exc}") from exc
        self._related.put(key, hits)
        return hits

    def forget_answers(self) -> None:
        """Drop the finished answers kept for identical requests (a benchmark measuring what
        a query costs the first time it is asked)."""
        self._answers.clear()

    def close(self) -> None:
        with self._searchers_lock:
            for searcher in list(self._searchers):
                searchers.close(searcher)
            self._searchers.clear()
        self._local = threading.local()
        self._follower.release()
        self._ix.close()

    # -- internals -------------------------------------------------------------------

    def _has_index(self) -> bool:
        # Not index.exists_in(): it opens the index, unpickling the schema stored there,
        # and fails instead of answering when a commit replaces the table of contents.
        return any(self.path.glob("_MAIN_*.toc"))

    def _open(self) -> index.Index:
        return searchers.open_index(self.path, self._schema)

    def _searcher(self) -> Searcher:
        """This thread's searcher, moved to the latest commit (cheap when unchanged);
        IndexUnavailable when the folder cannot be read."""
        try:
            return self._latest_searcher()
        except (OSError, index.IndexError) as exc:
            raise IndexUnavailable(f"The search index cannot be read: {exc}") from exc

    def _latest_searcher(self) -> Searcher:
        slot = getattr(self._local, "slot", None)
        if slot is None:
            slot = self._local.slot = searchers.Slot()
        current = slot.searcher
        if current is not None and current.up_to_date():
            return current
        # Not Searcher.refresh(): in whoosh-reloaded 2.7.5 it keeps the segments a merge
        # replaced, so every document shows up twice (and it crashes on an empty index).
        fresh = searchers.reopen(self._ix, current, weighting=lengths.BM25F(self._lengths))
        self._facet_cache.keep_only(fresh)
        self._lengths.keep_only(fresh)
        self._postings.follow(fresh, self._ix.storage)
        contents = searchers.contents(fresh)
        with self._searchers_lock:
            # Only when the index changed: a thread's first searcher used to empty them too,
            # so a server's new threads recomputed every page's relatives (37 % of a page).
            # (An entry a thread on an older searcher puts later is keyed by what it read.)
            if contents != self._contents:
                self._contents = contents
                self._related.clear()
                self._hidden.clear()
                self._answers.clear()
            if current is not None:
                self._searchers.discard(current)
            self._searchers.add(fresh)
        slot.searcher, slot.contents = fresh, contents
        return fresh
