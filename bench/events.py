"""Event benchmark: ingest throughput and event-to-searchable latency through a real server.

    .venv/bin/python bench/events.py [--single 1000] [--batches 50] [--samples 50]
                                     [--worker-events 1000] [--backends sqlite,postgresql]

For the embedded default (SQLite) and PostgreSQL (a throw-away database on the local server)
it starts `kb run` (a process per core, each with the worker and index follower threads) and
measures:
  ingest single   POST /api/events, one structured event per request (bearer token)
  ingest batch    POST /api/events, batches of 100 events (application/cloudevents-batch+json)
  drained         handler runs the in-process worker finished from the end of the ingest until
                  nothing is left (counted in the jobs table), per second; waited for, so that
                  the latencies below are those of an idle worker
  kb worker       the same for a `kb worker` process: --worker-events events are ingested by a
                  `kb run` without worker, then `kb worker` drains them
  lesson->search  POST /api/lessons, then GET /api/search until the lesson is found
  event->search   POST an org.pmo.project.created event renaming a project; the worker's
                  project-register handler applies it and the index follower re-indexes the
                  project's lesson: GET /api/search by the new name until found
Rates are also given per CPU-second of the kb processes (read from /proc): on a loaded machine
they vary less than the rates per wall-clock second. Figures are printed; nothing fails on them. Targets (SQLite): >= 300 single events/s,
>= 3,000 events/s in batches, >= 1,000 handler runs drained per second, p95 post->searchable
<= 150 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/events.py`
from bench.procs import processor_seconds  # noqa: E402
from bench.reference import free_port  # noqa: E402

KB = Path(sys.executable).with_name("kb")
CE_JSON = "application/cloudevents+json"
PG_ADMIN = os.environ.get("KB_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def stats(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms"


class Client:
    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.token = token

    def request(self, method: str, path: str, body=None, content_type="application/json"):  # noqa: ANN001
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        return response.status, (json.loads(payload) if payload else None)


def event(type_: str, key: str, name: str) -> dict:
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "urn:pmo:bench",
        "type": f"org.pmo.{type_}",
        "subject": f"projects/{key}",
        "time": "2026-11-21T10:00:00Z",
        "datacontenttype": "application/json",
        "data": {
            "project": {"projectId": key, "name": name},
            "plannedStart": "2026-01-05",
            "plannedEnd": "2026-12-18",
            "tags": ["bench"],
        },
    }


@contextmanager
def database(kind: str, work: Path):
    if kind == "sqlite":
        yield f"sqlite:///{work / 'kb.sqlite3'}"
        return
    import psycopg

    name = f"kb_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield (
            PG_ADMIN.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0]
            + f"/{name}"
        )
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_backend(kind: str, args: argparse.Namespace) -> list[tuple[str, str]]:
    work = Path(tempfile.mkdtemp(prefix=f"kb-events-{kind}-"))
    rows: list[tuple[str, str]] = []
    with database(kind, work) as url:
        env = dict(
            os.environ,
            KB_DATABASE_URL=url,
            KB_INDEX_DIR=str(work / "index"),
            KB_CONTENT_DIR=str(work / "no-content"),
            KB_SECRET_KEY="bench",
        )
        subprocess.run([str(KB), "init"], env=env, check=True, capture_output=True)
        added = subprocess.run(
            [str(KB), "producers", "add", "bench"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        producer_token = re.search(r"bearer token:\s+(\S+)", added).group(1)
        subprocess.run(
            [str(KB), "users", "create", "bench", "--role", "contributor", "--password-stdin"],
            env=env,
            check=True,
            capture_output=True,
            input="a bench password\n",
            text=True,
        )
        user_token = subprocess.run(
            [str(KB), "users", "token", "bench", "--scope", "write"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        engine = create_engine(url)
        with serving(env, work / "server.log") as server:
            producer = wait_for(server.port, producer_token)  # a project tool sending events
            person = Client(server.port, user_token)  # a script with a user's API token
            rows += ingest(producer, server, args)
            if args.single or args.batches:
                rows.append(drained_row("handler runs drained (kb run)", *drain(engine, server)))
            if args.samples:
                rows += latencies(producer, person, args)
        if args.worker_events:
            rows.append(worker_drain(env, work, producer_token, engine, args.worker_events))
        engine.dispose()
    if os.environ.get("KB_BENCH_KEEP"):
        print(f"kept {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return [(f"{kind}: {k}", v) for k, v in rows]


class Process:
    """A process of kb the bench started: its port (a server) and the CPU time it used."""

    def __init__(self, popen: subprocess.Popen, port: int = 0):
        self.popen, self.port = popen, port

    def cpu(self) -> float:
        """Seconds of CPU (user + system, all threads, its serving processes too) so far: on
        a loaded machine the rates per CPU-second say more than those per wall-clock second."""
        return processor_seconds(self.popen.pid)


@contextmanager
def serving(env: dict, log_path: Path):
    """A `kb run` on a free port, stopped on the way out."""
    port = free_port()
    with open(log_path, "ab") as log:
        server = subprocess.Popen(
            [str(KB), "run", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield Process(server, port)
    finally:
        stop(server)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if it has not ended within a minute (a busy machine)."""
    process.terminate()
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def per_cpu(n: int, process: Process, cpu_before: float) -> str:
    used = process.cpu() - cpu_before
    return f"{n / used:,.0f} per server CPU-second" if used > 0 else "CPU time not measurable"


def worker_drain(env: dict, work: Path, token: str, engine, n: int) -> tuple[str, str]:  # noqa: ANN001
    """`kb worker` alone on a backlog: `n` events ingested by a `kb run` without a worker, then
    timed from the worker's start-up line until nothing is left."""
    quiet = dict(env, KB_WORKER_THREAD="0")
    with serving(quiet, work / "server.log") as server:
        producer = wait_for(server.port, token)
        for b in range(0, n, 100):
            batch = [
                event("project.created", f"W{b + i}", f"W {b + i}") for i in range(min(100, n - b))
            ]
            status, _ = producer.request(
                "POST", "/api/events", batch, "application/cloudevents-batch+json"
            )
            assert status == 202, status
    worker = subprocess.Popen(
        [str(KB), "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        worker.stdout.readline()  # "kb worker ... started"
        return drained_row("handler runs drained (kb worker)", *drain(engine, Process(worker)))
    finally:
        stop(worker)


def wait_for(port: int, token: str) -> Client:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            client = Client(port, token)
            if client.request("GET", "/healthz")[0] == 200:
                return client
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("kb run did not start")


def ingest(client: Client, server: Process, args: argparse.Namespace) -> list[tuple[str, str]]:
    started, cpu = time.perf_counter(), server.cpu()
    for n in range(args.single):
        status, _ = client.request(
            "POST",
            "/api/events",
            event("project.created", f"S{n}", f"S {n}"),
            CE_JSON,
        )
        assert status == 202, status
    single = args.single / (time.perf_counter() - started)
    single_cpu = per_cpu(args.single, server, cpu)
    started, cpu = time.perf_counter(), server.cpu()
    for b in range(args.batches):
        batch = [event("project.created", f"B{b}-{n}", f"B {b} {n}") for n in range(100)]
        status, _ = client.request(
            "POST", "/api/events", batch, "application/cloudevents-batch+json"
        )
        assert status == 202, status
    batched = args.batches * 100 / (time.perf_counter() - started)
    batched_cpu = per_cpu(args.batches * 100, server, cpu)
    return [
        ("ingest single", f"{single:,.0f} events/s ({args.single} requests; {single_cpu})"),
        ("ingest batch", f"{batched:,.0f} events/s ({args.batches} x 100; {batched_cpu})"),
    ]


def until_found(client: Client, query: str, expected: str, started: float) -> float:
    while time.perf_counter() - started < 30:
        _, found = client.request("GET", f"/api/search?q={query}")
        if any(hit["id"] == expected for hit in found["hits"]):
            return time.perf_counter() - started
        time.sleep(0.005)
    raise RuntimeError(f"{expected} never became searchable as {query!r}")


def jobs(engine) -> tuple[int, int]:  # noqa: ANN001
    """(runs done, runs and events still to handle), counted in the jobs table."""
    with engine.connect() as c:
        done, left = c.execute(
            text(
                "SELECT count(*) FILTER (WHERE status = 'done'),"
                " count(*) FILTER (WHERE status IN ('pending', 'running')) FROM handler_runs"
            )
        ).one()
        undispatched = c.scalar(
            text(
                "SELECT count(*) FROM events"
                " WHERE seq > (SELECT position FROM cursors WHERE name = 'dispatch')"
            )
        )
    return done, left + undispatched


def drain(engine, process: Process) -> tuple[int, float, str]:  # noqa: ANN001
    """Runs the worker finishes from now until nothing is left, the seconds it takes and the
    runs per CPU-second of `process` (the server: its index follower's work included). A
    fixed pause was too short on a busy machine: the first rename then waited behind
    thousands of events."""
    started, cpu = time.perf_counter(), process.cpu()
    before, left = jobs(engine)
    while left:
        if time.perf_counter() - started > 600:
            raise RuntimeError(f"the worker did not drain the backlog within 600 s ({left} left)")
        time.sleep(0.05)
        done, left = jobs(engine)
    runs = jobs(engine)[0] - before
    return runs, time.perf_counter() - started, per_cpu(runs, process, cpu)


def drained_row(label: str, runs: int, seconds: float, cpu: str) -> tuple[str, str]:
    rate = runs / seconds if seconds else 0.0
    return (label, f"{runs:,} runs in {seconds:.1f} s = {rate:,.0f} runs/s ({cpu})")


def registered(client: Client, key: str) -> None:
    """Wait until the worker has registered project `key`."""
    started = time.perf_counter()
    while client.request("GET", f"/api/projects/{key}")[0] != 200:
        if time.perf_counter() - started > 60:
            raise RuntimeError(f"project {key} was never registered")
        time.sleep(0.01)


def latencies(producer: Client, client: Client, args: argparse.Namespace) -> list[tuple[str, str]]:
    rows = []
    lesson_times, event_times = [], []
    for n in range(args.samples):
        word = f"quokka{uuid.uuid4().hex[:8]}"
        key = f"LAT-{n}"
        # a lesson names a project kb knows: the project tool announces it first
        status, _ = producer.request(
            "POST", "/api/events", event("project.created", key, f"Latency {n}"), CE_JSON
        )
        assert status == 202
        registered(client, key)
        body = {
            "title": f"Cut-over rehearsal {word}",
            "project": key,
            "status": "published",
            "body": f"## Summary\n\nThe {word} rehearsal found twelve defects.\n",
        }
        started = time.perf_counter()
        status, doc = client.request("POST", "/api/lessons", body)
        assert status == 201, doc
        lesson_times.append(until_found(client, word, doc["id"], started))
        renamed = f"zebra{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        status, _ = producer.request(
            "POST",
            "/api/events",
            event("project.created", key, renamed),
            CE_JSON,
        )
        assert status == 202
        event_times.append(until_found(client, renamed, doc["id"], started))
    return rows + [
        ("lesson -> searchable", stats(lesson_times)),
        ("event -> handled -> searchable", stats(event_times)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=50)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--worker-events", type=int, default=1000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    for kind in args.backends.split(","):
        rows += run_backend(kind, args)
    width = max(len(k) for k, _ in rows)
    print(
        "\nkb event benchmark: a real `kb run` server (a process per core, worker and index in each)\n"
    )
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")


if __name__ == "__main__":
    main()
