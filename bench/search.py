"""The comparison `make bench` prints: kb's search, pages, import and load next to the references.

    make bench [SIZES=1000,10000,50000] [PEERS=1]
    .venv/bin/python bench/search.py [--sizes 10000] [--keep DIR | --reuse DIR] [--peers]

For each size (default 10,000 lessons) it generates a corpus (bench/corpus.py), imports it with
`kb import`, builds the reference index and times 50 queries five ways, in the same run:
  clean      whoosh on a clean two-field (title, body), single-segment index of the same
             documents: MultifieldParser(["title", "body"]) + searcher.search(limit=20) --
             the engine's floor, which kb's p95 is held to (bench/reference.py)
  raw        whoosh on kb's own index: MultifieldParser(default plugins) + search(limit=20)
  raw+facets the same with the five facet counts and 20 highlighted snippets, by hand
  service    kb.search.SearchIndex.query(q)  (restricted parser, facets, snippets, suggestion)
  api        GET /api/search?q=... through the WSGI app (Flask test client, JSON encoding)
  ..., first time   the same with kb's kept answers forgotten before each query: what a
             query costs the first time it is asked (the others repeat 50 queries, so after
             the warm-up they measure answers kept for identical requests); the target is
             held to this figure
and, in a table of its own, the processor time of kb's process per query for the service and
api ways (time.process_time, all threads: steadier than the wall time, which on a shared machine
follows the neighbours); then a warm document page, the time until `kb run` answers /healthz,
and the load test of bench/load.py (wrk, 8 connections, --load seconds, against `kb run` and
gunicorn). With --peers, wikmd (bench/peers.py) on the same corpus. One table per measure, a
column per size, with the ratios. Not a test: it prints figures and never fails on them.

--keep DIR keeps the work folder (DIR/<size> for each size); --reuse DIR measures a kept folder
again without generating and importing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `python bench/search.py` from the checkout
from bench import load, peers, reference  # noqa: E402
from bench.tables import grid, stats  # noqa: E402

GEN = ROOT / "bench" / "corpus.py"  # the corpus generator: lessons, projects, queries
KB = Path(sys.executable).with_name("kb")
FACETS = ("type", "topics", "phase", "project", "tags")
WAYS = ("clean", "raw", "raw+facets", "service", "api", "service, first time", "api, first time")
CPU_WAYS = ("service", "api", "service, first time", "api, first time")


def timed(fn, queries: list[str], rounds: int) -> tuple[list[float], list[float]]:
    """The wall time and the processor time of this process (all its threads) of each
    call, after a warm-up round."""
    for q in queries:  # warm-up: caches, lazy imports
        fn(q)
    wall, cpu = [], []
    for _ in range(rounds):
        for q in queries:
            started, processor = time.perf_counter(), time.process_time()
            fn(q)
            cpu.append(time.process_time() - processor)
            wall.append(time.perf_counter() - started)
    return wall, cpu


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


def prepare(n: int, work: Path, reuse: bool) -> tuple[dict, list[tuple[str, str]]]:
    """The environment of a kb on `work` (generated and imported unless `reuse`), and the
    import rows."""
    env = load.kb_env(work)
    if reuse:
        return env, []
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    subprocess.run(
        [sys.executable, str(GEN), "--n", str(n), "--seed", "1", "--out", str(work / "corpus")],
        check=True,
        capture_output=True,
    )
    return env, import_rows(work / "corpus", env, n)


def in_process(work: Path, env: dict, rounds: int) -> dict:
    """The five ways of searching (median, p95 in ms), the reference index and a warm page."""
    shutil.rmtree(work / "clean", ignore_errors=True)
    built = reference.build_clean_index(work / "index", work / "clean")
    os.environ.update(env)
    from whoosh import index as whoosh_index
    from whoosh import sorting
    from whoosh.highlight import HtmlFormatter
    from whoosh.qparser import MultifieldParser

    from kb import create_app
    from kb.config import Config
    from kb.search.querylang import DEFAULT_FIELDS

    queries = [q["q"] for q in json.loads((work / "corpus" / "queries.json").read_text())]
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

    user = accounts.get_user(kb.db, load.READER) or accounts.create_user(
        kb.db, load.READER, password=load.PASSWORD, role="reader"
    )
    client = app.test_client()  # signed in, as a person using kb would be
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:{user.session_token}"

    def api(q: str):
        response = client.get("/api/search", query_string={"q": q})
        assert response.status_code == 200, response.json
        return response.json

    def first_time(fn):  # noqa: ANN001, ANN202
        def call(q: str):
            kb.index.forget_answers()
            return fn(q)

        return call

    ways = (
        reference.clean_searcher(work / "clean"),
        raw,
        raw_facets,
        kb.index.query,
        api,
        first_time(kb.index.query),
        first_time(api),
    )
    found: dict = {"reference": built, "cpu": {}}
    for name, fn in zip(WAYS, ways, strict=True):
        # facets by hand read every hit's stored fields (seconds a query): one round is enough
        wall, cpu = timed(fn, queries, 1 if name == "raw+facets" else rounds)
        found[name], found["cpu"][name] = stats(wall), stats(cpu)
    doc_id = kb.index.query("vendor").hits[0].id
    found["page"] = stats(timed(lambda _q: client.get(f"/lessons/{doc_id}"), ["x"] * 50, 4)[0])
    searcher.close()
    kb.close()
    return found


def start_time(env: dict) -> float:
    """Seconds from starting `kb run` to its first /healthz 200."""
    port = reference.free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [str(KB), "run", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while load.status(port, "/healthz") != 200:
            if time.perf_counter() - started > 120:
                raise RuntimeError("kb run did not answer within 120 s")
            time.sleep(0.02)
        return time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(30)


def ms(pair: tuple[float, float]) -> str:
    return f"{pair[0]:6.1f} / {pair[1]:6.1f}"


def brief(cell: str) -> str:
    """An import row's figure without its counts ("735 docs/s  (13.6 s; 10000 created, ...)")."""
    head = cell.split(";", 1)[0]
    return head + ")" if head.count("(") > head.count(")") else head


def peer_cells(peer: dict, sizes: list[int], show) -> list[str]:  # noqa: ANN001
    """wikmd's figure at each size through `show`, or why there is none."""
    return [
        show(peer[n]) if "search" in peer.get(n, {}) else peer.get(n, peer).get("skipped", "-")
        for n in sizes
    ]


def search_table(found: dict[int, dict], peer: dict) -> str:
    sizes = list(found)
    rows = [
        (
            way,
            [
                ms(found[n][way]) + f" ({found[n][way][1] / found[n]['clean'][1]:4.1f}x)"
                for n in sizes
            ],
        )
        for way in WAYS
    ]
    rows.append(("wikmd (GET /search)", peer_cells(peer, sizes, lambda p: ms(p["search"]))))
    target = [1.25 * found[n]["clean"][1] + 5 for n in sizes]
    first = "api, first time"
    rows.append(
        (
            "target: api p95 (first time) <= 1.25 x clean + 5",
            [
                f"{found[n][first][1]:.0f} <= {t:.0f} ms: {'met' if found[n][first][1] <= t else 'NOT met'}"
                for n, t in zip(sizes, target, strict=True)
            ],
        )
    )
    rows.append(
        (
            "api p95 / wikmd p95 (target <= 0.3)",
            [
                f"{found[n][first][1] / p[1]:.2f}" if (p := peer.get(n, {}).get("search")) else "-"
                for n in sizes
            ],
        )
    )
    if 10_000 in found and len(sizes) > 1:
        base = found[10_000][first][1]
        rows.append(
            ("api p95 / the 10,000 figure", [f"{found[n][first][1] / base:.2f}x" for n in sizes])
        )
    title = "search, sequential: median / p95 ms (p95 as a multiple of clean's)"
    return grid(title, [f"{n:,} docs" for n in sizes], rows)


def cpu_table(found: dict[int, dict]) -> str:
    """kb's own ways by processor time: on a shared machine the wall time follows the
    neighbours (+-40 %), the processor time much less."""
    sizes = list(found)
    rows = [(way, [ms(found[n]["cpu"][way]) for n in sizes]) for way in CPU_WAYS]
    title = "search, sequential: processor time of the process per query, median / p95 ms"
    return grid(title, [f"{n:,} docs" for n in sizes], rows)


def print_tables(found: dict[int, dict], peer: dict) -> None:
    sizes = list(found)
    columns = [f"{n:,} docs" for n in sizes]
    print(search_table(found, peer))
    print(cpu_table(found))
    if imports := [r for n in sizes for r in found[n]["import"]]:
        keys = list(dict.fromkeys(k for k, _ in imports))
        rows = [(k, [brief(dict(found[n]["import"]).get(k, "-")) for n in sizes]) for k in keys]
        print(grid("import", columns, rows))
    rows = [
        (
            "reference index (clean, 1 segment)",
            [f"{found[n]['reference'][0]:.1f} s" for n in sizes],
        ),
        ("warm document page, median / p95 ms", [ms(found[n]["page"]) for n in sizes]),
        ("kb run: start to first /healthz 200", [f"{found[n]['start']:.2f} s" for n in sizes]),
        ("wikmd: start to first page", peer_cells(peer, sizes, lambda p: f"{p['start']:.1f} s")),
    ]
    print(grid("pages and start", columns, rows))
    loads = {f"{n:,} {kind}": r for n in sizes for kind, r in found[n]["load"][0].items()}
    loads.update({f"{n:,} wikmd": peer[n]["load"] for n in sizes if "load" in peer.get(n, {})})
    if loads:  # none with --servers ''
        print("\n" + load.table(loads, found[sizes[0]]["load"][1]))
    if "skipped" in peer:
        print(f"  wikmd: {peer['skipped']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000", help="corpus sizes, comma-separated")
    parser.add_argument("--n", type=int, help="one size (the same as --sizes N)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reuse", type=Path, help="a --keep folder: skip generating and importing")
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temp folder)")
    parser.add_argument("--load", type=float, default=20, help="seconds of each load test")
    parser.add_argument(
        "--servers", default="run,gunicorn", help="servers of the load test (none: --servers '')"
    )
    parser.add_argument("--peers", action="store_true", help="wikmd too, in a throw-away venv")
    args = parser.parse_args()
    sizes = [args.n] if args.n else [int(s) for s in args.sizes.split(",") if s]
    base = args.reuse or args.keep or Path(tempfile.mkdtemp(prefix="kb-bench-"))
    found: dict[int, dict] = {}
    peer = peers.setup() if args.peers else {"skipped": "not measured (make bench PEERS=1)"}
    try:
        for n in sizes:
            work = base if len(sizes) == 1 else base / str(n)
            env, imported = prepare(n, work, reuse=bool(args.reuse))
            found[n] = in_process(work, env, args.rounds) | {"import": imported}
            found[n]["start"] = start_time(env)
            found[n]["load"] = load.run(
                work, args.load, 8, [s for s in args.servers.split(",") if s], 3
            )
            if "venv" in peer:
                peer[n] = peers.measure(peer, work, args.rounds, args.load)
            print(f"{n:,} documents measured", file=sys.stderr, flush=True)
    finally:  # nothing of a peer or a generated corpus stays behind, even after a failure
        peers.cleanup(peer)
        if not args.keep and not args.reuse:
            shutil.rmtree(base, ignore_errors=True)
    print(f"\nkb benchmark: {args.rounds} rounds x 50 queries (raw+facets: 1); compare ratios\n")
    print_tables(found, peer)


if __name__ == "__main__":
    main()
