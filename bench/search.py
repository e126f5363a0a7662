"""Search benchmark: 10,000 generated lessons, imported with `kb import`, queried four ways.

    make bench            # or: .venv/bin/python bench/search.py [--n 10000] [--keep DIR]

Prints a table; compares in the same run against raw Whoosh:
  clean      whoosh on a clean two-field (title, body), single-segment index of the same
             documents: MultifieldParser(["title", "body"]) + searcher.search(limit=20) --
             the engine's floor, which kb's p95 is held to (bench/reference.py)
  raw        whoosh on kb's own index: MultifieldParser(default plugins) + search(limit=20)
  raw+facets the same with the five facet counts and 20 highlighted snippets, by hand
  service    kb.search.SearchIndex.query(q)  (restricted parser, facets, snippets, suggestion)
  api        GET /api/search?q=... through the WSGI app (Flask test client, JSON encoding)
Also: import throughput, time to rebuild the index, time until `kb run` answers /healthz,
a warm document page, and a load test (8 threads of the WSGI app for --load seconds: requests/s,
p50/p99 and refusals). Not a test: it prints figures and never fails on them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `python bench/search.py` from the checkout
from bench import reference  # noqa: E402

GEN = ROOT / "bench" / "corpus.py"  # the corpus generator: lessons, projects, queries
KB = Path(sys.executable).with_name("kb")
FACETS = ("type", "topics", "phase", "project", "tags")


def stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def timed(fn, queries: list[str], rounds: int) -> list[float]:
    for q in queries:  # warm-up: caches, lazy imports
        fn(q)
    samples = []
    for _ in range(rounds):
        for q in queries:
            started = time.perf_counter()
            fn(q)
            samples.append(time.perf_counter() - started)
    return samples


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_test(app, user, queries: list[str], seconds: float) -> str:  # noqa: ANN001
    """8 threads, each its own signed-in test client, asking /api/search in turn."""
    clients = []
    for _ in range(8):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = f"{user.id}:{user.session_token}"
        clients.append(client)

    def call(i: int) -> int:
        q = queries[i % len(queries)]
        return clients[i % 8].get("/api/search", query_string={"q": q}).status_code

    r = reference.load(call, 8, seconds)
    return (
        f"{r['rate']:.1f} req/s   p50 {r['p50']:.0f} ms   p99 {r['p99']:.0f} ms   "
        f"non-2xx {r['refused']} of {r['requests']}"
    )


def import_rows(corpus: Path, env: dict, n: int) -> list[tuple[str, str]]:
    """`kb import` (database and search index) then `kb reindex` of the corpus, timed."""
    rows: list[tuple[str, str]] = []
    started = time.perf_counter()
    out = subprocess.run(
        [str(KB), "import", str(corpus / "docs")],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    total = time.perf_counter() - started
    import_line = next(line for line in out.splitlines() if "created" in line)
    db_seconds = float(import_line.rsplit(" in ", 1)[1].split()[0])
    # the index is fed while the database is written; the line says how long it took after
    index_line = next(line for line in out.splitlines() if "Search index" in line)
    rows.append(
        (
            "kb import (database)",
            f"{n / db_seconds:,.0f} docs/s  ({db_seconds:.1f} s; {import_line.split(' in ')[0]})",
        )
    )
    rows.append(("kb import (index, after the database)", index_line.split("up to date ")[-1]))
    rows.append(("kb import (whole command)", f"{total:.1f} s = {n / total:,.0f} docs/s"))

    started = time.perf_counter()
    subprocess.run([str(KB), "reindex"], env=env, check=True, capture_output=True)
    rows.append(("kb reindex", f"{time.perf_counter() - started:.1f} s"))

    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reuse", type=Path, help="a --keep folder: skip generating and importing")
    parser.add_argument("--load", type=float, default=10, help="seconds of the load test")
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temp folder)")
    args = parser.parse_args()
    work = args.reuse or args.keep or Path(tempfile.mkdtemp(prefix="kb-bench-"))
    if work.exists() and args.keep and not args.reuse:
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    corpus = work / "corpus"
    if args.reuse:
        work, corpus = args.reuse, args.reuse / "corpus"
    else:
        subprocess.run(
            [sys.executable, str(GEN), "--n", str(args.n), "--seed", "1", "--out", str(corpus)],
            check=True,
            capture_output=True,
        )
    env = dict(
        os.environ,
        KB_DATABASE_URL=f"sqlite:///{work / 'kb.sqlite3'}",
        KB_INDEX_DIR=str(work / "index"),
        KB_CONTENT_DIR=str(work / "none"),
    )
    rows: list[tuple[str, str]] = []

    if not args.reuse:
        rows += import_rows(corpus, env, args.n)
    shutil.rmtree(work / "clean", ignore_errors=True)
    seconds, n = reference.build_clean_index(work / "index", work / "clean")
    rows.append(("reference index (clean, 1 segment)", f"{n:,} docs in {seconds:.1f} s"))

    os.environ.update(env)
    from whoosh import index as whoosh_index
    from whoosh import sorting
    from whoosh.highlight import HtmlFormatter
    from whoosh.qparser import MultifieldParser

    from kb import create_app
    from kb.config import Config
    from kb.search.querylang import DEFAULT_FIELDS

    queries = [q["q"] for q in json.loads((corpus / "queries.json").read_text())]
    ix = whoosh_index.open_dir(str(work / "index"))
    searcher = ix.searcher()
    raw_parser = MultifieldParser(list(DEFAULT_FIELDS), ix.schema)

    def raw(q: str):
        return len(searcher.search(raw_parser.parse(q), limit=20))

    facets = sorting.Facets()
    for name in FACETS:
        facets.add_field(name, allow_overlap=name in ("topics", "tags"))

    def raw_facets(q: str):
        results = searcher.search(
            raw_parser.parse(q), limit=20, groupedby=facets, maptype=sorting.Count
        )
        results.formatter = HtmlFormatter(tagname="mark")
        snippets = [hit.highlights("body") for hit in results]
        return [results.groups(name) for name in FACETS], snippets

    config = Config.from_env()
    config.INDEXER_THREAD = False
    app = create_app(config)
    kb = app.extensions["kb"]
    from kb.accounts import services as accounts

    user = accounts.get_user(kb.db, "bench") or accounts.create_user(
        kb.db, "bench", password="a bench password", role="reader"
    )
    client = app.test_client()  # signed in, as a person using kb would be
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:{user.session_token}"

    def service(q: str):
        return kb.index.query(q)

    def api(q: str):
        response = client.get("/api/search", query_string={"q": q})
        assert response.status_code == 200, response.json
        return response.json

    results = {}
    clean = reference.clean_searcher(work / "clean")
    measured = (
        ("clean", clean),
        ("raw", raw),
        ("raw+facets", raw_facets),
        ("service", service),
        ("api", api),
    )
    for name, fn in measured:
        results[name] = stats(timed(fn, queries, args.rounds))
    for name, (median, p95) in results.items():
        ratio = f"   p95 = {p95 / results['clean'][1]:.1f} x clean" if name != "clean" else ""
        rows.append((f"search: {name}", f"median {median:6.1f} ms   p95 {p95:6.1f} ms{ratio}"))
    target = 1.25 * results["clean"][1] + 5
    rows.append(
        (
            "target: api p95 <= 1.25 x clean p95 + 5 ms",
            f"{target:.1f} ms -> {'met' if results['api'][1] <= target else 'NOT met'}",
        )
    )
    rows.append(("search under load: 8 threads", load_test(app, user, queries, args.load)))

    doc_id = kb.index.query("vendor").hits[0].id
    page = stats(timed(lambda _q: client.get(f"/lessons/{doc_id}"), ["x"] * 50, 4))
    rows.append(("warm document page", f"median {page[0]:.2f} ms   p95 {page[1]:.2f} ms"))
    searcher.close()
    kb.close()

    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [str(KB), "run", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.02)
            if time.perf_counter() - started > 60:
                raise RuntimeError("kb run did not answer within 60 s")
        rows.append(
            ("kb run: start to first /healthz 200", f"{time.perf_counter() - started:.2f} s")
        )
    finally:
        server.terminate()
        server.wait(10)

    width = max(len(k) for k, _ in rows)
    print(
        f"\nkb search benchmark: {args.n:,} generated lessons, {args.rounds} rounds x {len(queries)} queries\n"
    )
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
    if not args.keep and not args.reuse:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
