"""Load test: a real kb server under 8 concurrent clients, searching and reading pages.

    .venv/bin/python bench/load.py --reuse DIR [--seconds 20] [--connections 8]
                                   [--servers run,gunicorn]

DIR is a folder bench/search.py kept (--keep): its kb.sqlite3, index/ and corpus/. For each
server -- `kb run` (a process per core, with the in-process worker) and the production set-up of the README (gunicorn
with ./gunicorn.conf.py, --preload) -- and each scenario -- `/api/search?q=...` cycling over
the benchmark queries, `/lessons/<id>` cycling over 20 lessons -- it signs in as a reader over
HTTP, warms the server up for a few seconds, then drives it with `wrk` for --seconds and prints
requests/s, p50/p99 latency, the answers that were not 2xx (by status code), the processor
time the server's processes used per request (from /proc: steadier than requests/s on a shared
machine) and the server's memory during the load (RSS and PSS summed over its processes, from
/proc). The memory target is held to PSS: both servers fork their processes from one that
loaded the app, and share its memory; a sum of RSS counts each shared page once per process
(three times with two workers), PSS divides it among them, so the sum is what the machine
gives the server.

Without `wrk` (Debian's package; installed with apt-get when that is possible) a Python load
generator takes its place (threads with keep-alive connections), which shares the processors
with the server and so reads lower. Not a test: it prints figures and never fails on them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `python bench/load.py` from the checkout
from bench import reference  # noqa: E402
from bench.procs import Sampler, processor_seconds  # noqa: E402

BIN = Path(sys.executable).parent
READER, PASSWORD = "bench", "a bench password"
PAGES = 20
TARGETS = {"search": 100, "search, unseen": 100, "page": 500}  # requests/s at 10,000 documents
RSS_TARGET_MB = 300
WRK_SCRIPT = Path(__file__).with_name("load.lua")
#: warm-up rounds after the first, at most, while each is 10 % faster than the one before
WARM_ROUNDS = 5


def have_wrk() -> bool:
    """wrk on the PATH, installing Debian's package when it is missing and apt-get may run."""
    if shutil.which("wrk"):
        return True
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    if shutil.which("apt-get") and (not sudo or shutil.which("sudo")):
        print("wrk is missing: installing Debian's wrk package (apt-get) ...", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for step in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "wrk"]):
            if subprocess.run(sudo + step, env=env, capture_output=True).returncode:
                break
    if shutil.which("wrk"):
        return True
    print("wrk is not installed and could not be: a Python load generator is used instead")
    return False


# -- the server --------------------------------------------------------------------------


def kb_env(work: Path) -> dict:
    """The environment of a kb whose database and index are in `work` (SQLite)."""
    return dict(
        os.environ,
        KB_DATABASE_URL=f"sqlite:///{work / 'kb.sqlite3'}",
        KB_INDEX_DIR=str(work / "index"),
        KB_CONTENT_DIR=str(work / "none"),
    )


def serve(kind: str, port: int, env: dict, options: list[str]) -> subprocess.Popen:
    """`kb run` or the README's production command, answering on `port`; `options` are
    added to its command line (`--threads 4`)."""
    if kind == "run":
        command = [str(BIN / "kb"), "run", "--port", str(port), *options]
    else:  # reads ./gunicorn.conf.py; workers and threads as it sets them
        command = [str(BIN / "gunicorn"), "--preload", "--bind", f"127.0.0.1:{port}", *options]
        env = dict(env, KB_ENV="production", KB_SECRET_KEY="bench " * 8, KB_WORKER_THREAD="false")
    # A file, not a pipe nobody reads while loaded: waitress warns of its queue on every
    # busy request, and a full pipe blocked the server's threads (0 requests answered).
    log = tempfile.TemporaryFile()  # noqa: SIM115 (kept open for the life of the server)
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    started = time.perf_counter()
    while status(port, "/healthz") != 200:
        if server.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"{kind} exited: {log.read().decode()[-2000:]}")
        if time.perf_counter() - started > 120:
            raise RuntimeError(f"{kind} did not answer /healthz within 120 s")
        time.sleep(0.1)
    return server


def status(port: int, path: str) -> int | None:
    try:
        return request(port, "GET", path)[0]
    except OSError:
        return None


def request(port: int, method: str, path: str, body: str = "", headers: dict | None = None):
    """(status, headers, text) of one request on a fresh connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        answer = conn.getresponse()
        return answer.status, answer.headers, answer.read().decode("utf-8", "replace")
    finally:
        conn.close()


def cookies(headers) -> str:  # noqa: ANN001
    # by hand: a Secure cookie (production) would never go back over http from a cookie jar
    return "; ".join(c.split(";", 1)[0] for c in headers.get_all("Set-Cookie") or [])


def sign_in(port: int) -> str:
    """The Cookie header of a reader signed in through the login form."""
    _, headers, page = request(port, "GET", "/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    form = urllib.parse.urlencode(
        {"username": READER, "password": PASSWORD, "csrf_token": token and token.group(1) or ""}
    )
    code, headers, text = request(
        port,
        "POST",
        "/login",
        form,
        {"Cookie": cookies(headers), "Content-Type": "application/x-www-form-urlencoded"},
    )
    if code != 303:
        raise RuntimeError(f"signing in as {READER} answered {code}: {text[:300]}")
    return cookies(headers)


def ensure_reader(env: dict) -> None:
    """The bench's reader account (bench/search.py makes the same one)."""
    subprocess.run(
        [str(BIN / "kb"), "users", "create", READER, "--role", "reader", "--password-stdin"],
        input=PASSWORD + "\n",
        env=env,
        capture_output=True,
        text=True,
    )  # fails harmlessly when it exists


def lesson_ids(port: int, cookie: str, n: int) -> list[str]:
    code, _, text = request(
        port, "GET", f"/api/search?q=project&type=lesson&per_page={n}", "", {"Cookie": cookie}
    )
    if code != 200:
        raise RuntimeError(f"/api/search answered {code}: {text[:300]}")
    return [hit["id"] for hit in json.loads(text)["hits"]]


# -- the load generators -----------------------------------------------------------------


def with_wrk(port: int, paths: list[str], cookie: str, seconds: float, connections: int) -> dict:
    threads = min(2, connections)
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as listed:
        listed.write("\n".join(paths) + "\n")
        listed.flush()
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
            + ["--timeout", "60s", "-s", str(WRK_SCRIPT), "-H", f"Cookie: {cookie}"]
            + [f"http://127.0.0.1:{port}", "--", listed.name, str(threads)],
            capture_output=True,
            text=True,
        )
    if out.returncode:
        raise RuntimeError(f"wrk failed: {out.stderr.strip()}")
    out = out.stdout
    line = next(x for x in out.splitlines() if x.startswith("KBLOAD")).split()
    requests, duration, p50, p99, errors = (int(x) for x in line[1:])
    statuses: Counter[int] = Counter()
    for x in out.splitlines():
        if x.startswith("KBSTATUS"):
            statuses[int(x.split()[1])] += int(x.split()[2])
    return {
        "rate": requests / (duration / 1e6),
        "p50": p50 / 1000,
        "p99": p99 / 1000,
        "requests": requests,
        "statuses": statuses,
        "errors": errors,
    }


def with_python(port: int, paths: list[str], cookie: str, seconds: float, connections: int):
    local = threading.local()

    def call(i: int) -> int:
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        local.conn.request("GET", paths[i % len(paths)], headers={"Cookie": cookie})
        answer = local.conn.getresponse()
        answer.read()
        return answer.status

    result = reference.load(call, connections, seconds)
    return dict(result, errors=0)


def benchmark_queries(work: Path) -> list[str]:
    return [q["q"] for q in json.loads((work / "corpus" / "queries.json").read_text())]


#: words the query language reads as operators when written in capitals
_OPERATORS = {"and", "or", "not", "andnot", "andmaybe", "to"}


def _cased(q: str) -> list[str]:
    """q as typed, in title case and in capitals (the words, not field names or operators):
    different requests for the same search, each searched anew."""

    def each(change) -> str:  # noqa: ANN001
        words = q.split(" ")
        return " ".join(w if ":" in w or w.strip('"') in _OPERATORS else change(w) for w in words)

    return [q, each(str.title), each(str.upper)]


def unseen_searches(queries: list[str], sizes: range = range(10, 30)) -> list[str]:
    """5,760 different requests for the benchmark's queries (each as typed, in title case and
    in capitals, at 20 page sizes, pages 1 and 2; a query of field names alone has one case):
    none is answered from the answers kept for identical requests, so each costs what a new
    search costs, for as long as no request comes twice (scenario() says when the load test
    came round to its first request again)."""
    return list(
        dict.fromkeys(
            f"/api/search?{urllib.parse.urlencode({'q': cased, 'per_page': size, 'page': page})}"
            for page in (1, 2)
            for size in sizes
            for q in queries
            for cased in _cased(q)
        )
    )


def scenarios(port: int, cookie: str, queries: list[str]) -> dict[str, tuple[list[str], list[str]]]:
    """Per scenario, the paths of the load and of its warm-up: the same ones but for the
    unseen searches, warmed up with page sizes the load does not ask for."""
    ids = lesson_ids(port, cookie, PAGES)
    search = [f"/api/search?{urllib.parse.urlencode({'q': q})}" for q in queries]
    pages = [f"/lessons/{i}" for i in ids]
    return {
        "search": (search, search),
        "search, unseen": (unseen_searches(queries), unseen_searches(queries, range(30, 40))),
        "page": (pages, pages),
    }


def measure(
    kind: str,
    work: Path,
    seconds: float,
    connections: int,
    warmup: float,
    wrk: bool,
    options: list[str],
) -> list[tuple[str, dict]]:
    """Each scenario against one server started on the kept folder `work`."""
    env = kb_env(work)
    ensure_reader(env)
    queries = benchmark_queries(work)
    port = reference.free_port()
    server = serve(kind, port, env, options)
    try:
        cookie = sign_in(port)
        return [
            (name, scenario(server.pid, port, paths, cookie, (seconds, warmup, connections), wrk))
            for name, paths in scenarios(port, cookie, queries).items()
        ]
    finally:
        server.terminate()
        server.wait(30)


def scenario(
    pid: int, port: int, paths: tuple[list[str], list[str]], cookie: str, load: tuple, wrk: bool
) -> dict:
    """Warm-up on the second list of `paths` (rounds of `warmup` seconds, until one is not
    10 % faster than the one before), then (seconds, warmup, connections) = `load` of
    the first, with the memory of the server's process tree `pid` sampled meanwhile.
    "repeats" is how many requests of the load asked for a path it had asked for already."""
    seconds, warmup, connections = load
    paths, warm = paths
    drive = with_wrk if wrk else with_python
    if warmup:  # again while it gets faster: each process fills what it keeps (50,000 lessons)
        rate = drive(port, warm, cookie, warmup, connections)["rate"]
        for _ in range(WARM_ROUNDS):
            before, rate = rate, drive(port, warm, cookie, warmup, connections)["rate"]
            if rate < 1.1 * before:
                break
    sampler = Sampler(pid)
    sampler.start()
    used = processor_seconds(pid)
    result = drive(port, paths, cookie, seconds, connections)
    result["repeats"] = max(0, result["requests"] - len(paths))
    result["cpu"] = (processor_seconds(pid) - used) / max(1, result["requests"])
    sampler.stop.set()
    sampler.join()
    result["rss"], result["pss"] = sampler.peak
    return result


def row(name: str, r: dict, target: bool) -> str:
    bad = {code: n for code, n in sorted(r["statuses"].items()) if not 200 <= code < 300}
    shown = ", ".join(f"{n} x {code}" for code, n in bad.items()) or "0"
    if r["errors"]:
        shown += f" (+{r['errors']} socket errors)"
    met = r["rate"] >= TARGETS[name] and not bad and not r["errors"]
    line = (
        f"{r['rate']:7.1f} req/s  p50 {r['p50']:6.0f} ms  p99 {r['p99']:6.0f} ms  "
        f"non-2xx {shown:<8}  server CPU {1000 * r['cpu']:5.1f} ms/req  "
        f"RSS {r['rss']:4.0f} MB (PSS {r['pss']:4.0f})"
    )
    if target:
        line += f"  [>= {TARGETS[name]} req/s, 0 non-2xx: {'met' if met else 'NOT met'}]"
    if name == "search, unseen" and r.get("repeats"):
        line += f"  ({r['repeats']} requests came round again: not all unseen)"
    return line


def table(results: dict[str, list[tuple[str, dict]]], heading: str) -> str:
    """One line per server (or size and server) and scenario, then kb's memory target; a
    server whose label names no kb server (a peer) is shown without the targets."""
    width = max(len(k) for k in results)
    lines = [heading]
    mine = {k: rows for k, rows in results.items() if k.endswith(("run", "gunicorn"))}
    for kind, rows in results.items():
        for name, r in rows:
            lines.append(f"  {kind:<{width}}  {name:<14} {row(name, r, kind in mine)}")
    peak = {kind: max((r["pss"], r["rss"]) for _, r in rows) for kind, rows in mine.items()}
    lines.append(
        f"  memory target: <= {RSS_TARGET_MB} MB of the machine's memory (PSS) -> "
        + ", ".join(
            f"{k} {pss:.0f} MB {'met' if pss <= RSS_TARGET_MB else 'NOT met'} (RSS summed {rss:.0f})"
            for k, (pss, rss) in peak.items()
        )
    )
    return "\n".join(lines)


def run(
    work: Path,
    seconds: float,
    connections: int,
    servers: list[str],
    warmup: float,
    options: list[str] = (),
) -> tuple[dict[str, list[tuple[str, dict]]], str]:
    """{server: [(scenario, result)]} and the heading saying how they were measured."""
    wrk = have_wrk()
    results = {
        kind: measure(kind, work, seconds, connections, warmup, wrk, list(options))
        for kind in servers
    }
    tool = "wrk" if wrk else "a Python load generator (wrk missing)"
    return (
        results,
        f"load: {connections} connections x {seconds:g} s ({tool}), signed in as a reader",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", type=Path, required=True, help="a bench/search.py --keep folder")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=3, help="seconds of load before measuring")
    parser.add_argument("--servers", default="run,gunicorn", help="run, gunicorn or both")
    parser.add_argument("--threads", type=int, help="threads per server process (default: its own)")
    args = parser.parse_args()
    servers = [s for s in args.servers.split(",") if s]
    options = ["--threads", str(args.threads)] if args.threads else []
    print(table(*run(args.reuse, args.seconds, args.connections, servers, args.warmup, options)))


if __name__ == "__main__":
    main()
