"""The yardsticks bench/search.py measures kb against, in the same run.

- a clean reference index: the same documents' id, title and body in a two-field Whoosh index
  written in one segment, queried with Whoosh's default MultifieldParser (the engine's floor);
- a load generator: N threads calling a function for a while, counting answers and refusals.
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from whoosh import fields, index
from whoosh.analysis import StemmingAnalyzer
from whoosh.qparser import MultifieldParser


def build_clean_index(source: Path, target: Path) -> tuple[float, int]:
    """Copy id, title and body of every document in kb's index folder `source` into a new
    single-segment index in `target`; returns (seconds, documents)."""
    stem = StemmingAnalyzer()
    schema = fields.Schema(
        id=fields.ID(stored=True), title=fields.TEXT(analyzer=stem), body=fields.TEXT(analyzer=stem)
    )
    target.mkdir(parents=True, exist_ok=True)
    clean = index.create_in(target, schema)
    started = time.perf_counter()
    with index.open_dir(source).searcher() as searcher:
        writer = clean.writer(limitmb=512)
        n = 0
        for stored in searcher.all_stored_fields():
            writer.add_document(
                id=stored["id"], title=stored.get("title") or "", body=stored.get("body") or ""
            )
            n += 1
        writer.commit(optimize=True)
    clean.close()
    return time.perf_counter() - started, n


def clean_searcher(target: Path) -> Callable[[str], int]:
    """A function running one query on the reference index (top 20), returning hits."""
    ix = index.open_dir(target)
    searcher = ix.searcher()
    parser = MultifieldParser(["title", "body"], ix.schema)
    return lambda q: len(searcher.search(parser.parse(q), limit=20).top_n)


def load(call: Callable[[int], int], threads: int, seconds: float) -> dict:
    """`threads` threads call `call(i)` (returning an HTTP status) for `seconds`; returns
    requests/s, p50 and p99 latency (ms), the number of non-2xx answers and the count of
    each status."""
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(n: int) -> None:
        i = n
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            status = call(i)
            with lock:
                latencies.append(time.perf_counter() - started)
                statuses.append(status)
            i += threads

    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies) or [0.0]
    return {
        "rate": len(ordered) / elapsed,
        "p50": statistics.median(ordered) * 1000,
        "p99": ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000,
        "refused": sum(not 200 <= s < 300 for s in statuses),
        "requests": len(statuses),
        "statuses": Counter(statuses),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
