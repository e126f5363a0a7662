"""Probe: kb.search.SearchIndex versus raw Whoosh on the generated lessons corpus.

    python3 /work/shared/bench/gen_corpus.py --n 10000 --seed 1 --out /tmp/corpus10k
    PYTHONPATH=. .venv/bin/python bench/search_raw_probe.py /tmp/corpus10k --index /tmp/kb-probe

Prints the rebuild time, then per query kind and overall the median / p95 of
SearchIndex.query() (facets, snippets, suggestion) and of a raw
`searcher.search(MultifieldParser(...).parse(q), limit=20)` on the same index.
(Not bench/search.py: that one belongs to the application benchmark.)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import re
import shutil
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from whoosh.qparser import MultifieldParser

from kb.search import IndexDoc, SearchIndex
from kb.search.querylang import DEFAULT_FIELDS

log = logging.getLogger("search_raw_probe")

_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def _value(raw: str) -> str | list[str]:
    raw = raw.strip()
    if raw.startswith("["):
        return [v.strip() for v in raw.strip("[]").split(",") if v.strip()]
    if raw.startswith('"'):
        return json.loads(raw)
    return raw


def load_docs(folder: Path) -> list[IndexDoc]:
    docs = []
    for n, path in enumerate(sorted((folder / "docs").glob("*.md")), 1):
        text = path.read_text(encoding="utf-8")
        match = _FRONT.match(text)
        meta = {}
        for line in match.group(1).splitlines():
            key, _, raw = line.partition(":")
            meta[key.strip()] = _value(raw)
        body = "\n".join(
            line for line in text[match.end() :].splitlines() if not line.startswith("#")
        )
        date = datetime.strptime(meta["date"], "%Y-%m-%d").replace(tzinfo=UTC)
        name = meta["project"]
        docs.append(
            IndexDoc(
                id=f"LL-{date.year}-{n:05d}",
                type="lesson",
                title=meta["title"],
                summary="",
                body=body.replace("- ", "").strip(),
                status="published",
                project=re.sub(r"[^A-Z0-9]+", "-", name.upper()).strip("-")[:32],
                project_name=name,
                phase=meta["phase"].lower(),
                topics=[meta["category"].lower()],
                tags=list(meta["tags"]),
                polarity="problem",
                priority=meta["impact"].lower(),
                author=None,
                date=date,
                updated_at=date,
            )
        )
    return docs


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--index", type=Path, default=Path("/tmp/kb-probe-index"))
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    docs = load_docs(args.corpus)
    shutil.rmtree(args.index, ignore_errors=True)
    ix = SearchIndex(args.index)
    t0 = time.perf_counter()
    count = ix.rebuild(docs, last_seq=len(docs))
    log.info("rebuild: %d docs in %.1f s", count, time.perf_counter() - t0)

    queries = json.loads((args.corpus / "queries.json").read_text())
    raw_ix = ix._ix  # the probe compares against the very same Whoosh index
    raw_parser = MultifieldParser(list(DEFAULT_FIELDS), raw_ix.schema)
    kb_times: dict[str, list[float]] = {}
    raw_times: dict[str, list[float]] = {}
    totals: dict[str, tuple[int, int]] = {}
    with raw_ix.searcher() as searcher:
        for _ in range(args.rounds):
            for item in queries:
                q = item["q"]
                t = time.perf_counter()
                res = ix.query(q)
                kb_times.setdefault(q, []).append(time.perf_counter() - t)
                t = time.perf_counter()
                raw = searcher.search(raw_parser.parse(q), limit=20)
                raw_total = len(raw)
                raw_times.setdefault(q, []).append(time.perf_counter() - t)
                totals[q] = (res.total, raw_total)

    def summary(qs: list[str]) -> str:
        kb = [statistics.median(kb_times[q]) * 1000 for q in qs]
        raw = [statistics.median(raw_times[q]) * 1000 for q in qs]
        return (
            f"kb median {statistics.median(kb):6.1f} ms p95 {pct(kb, 95):6.1f} ms | "
            f"raw median {statistics.median(raw):6.1f} ms p95 {pct(raw, 95):6.1f} ms"
        )

    for kind in dict.fromkeys(item["kind"] for item in queries):
        qs = [item["q"] for item in queries if item["kind"] == kind]
        log.info("%-9s %s", kind, summary(qs))
    log.info("%-9s %s", "all", summary([item["q"] for item in queries]))
    for item in queries:
        q = item["q"]
        kb_total, raw_total = totals[q]
        log.info(
            "  %-28s kb %5d hits %6.1f ms | raw %5d hits %6.1f ms",
            q,
            kb_total,
            statistics.median(kb_times[q]) * 1000,
            raw_total,
            statistics.median(raw_times[q]) * 1000,
        )
    # One-document commits, as the event follower makes them (default merge policy).
    apply_ms = []
    for n, doc in enumerate(docs[:50]):
        t = time.perf_counter()
        ix.apply([dataclasses.replace(doc, title=doc.title + " (edited)")], [], len(docs) + n)
        apply_ms.append((time.perf_counter() - t) * 1000)
    log.info(
        "apply (1 doc + commit): median %.0f ms, p95 %.0f ms",
        statistics.median(apply_ms),
        pct(apply_ms, 95),
    )
    ix.close()


if __name__ == "__main__":
    main()
