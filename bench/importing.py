"""Import benchmark: `kb import` of a generated corpus, whole command (database and index).

    .venv/bin/python bench/importing.py [--n 10000] [--corpus DIR]

Two figures, each into a fresh database and index folder of its own (run it with --n 10000
and --n 50000: the rate must not fall as the corpus grows):
  alone        `kb import DIR`: documents per second of the whole command, and the CPU time
               it and its processes used (user + system: on a busy machine the wall time
               follows the neighbours, the CPU time much less), and the largest process's
               peak resident size
  served       `kb import DIR` while `kb run` serves the same database and index folder: the
               time until the index holds every document (the import indexes it, as alone;
               the running kb's follower waits for its commit, then follows),
               the CPU time the import and the running kb used meanwhile, and how /healthz
               answered (every 0.5 s)
Not a test: it prints figures and never fails on them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `python bench/importing.py` from the checkout
from bench.procs import processor_seconds  # noqa: E402
from bench.reference import free_port  # noqa: E402
from bench.search import GEN, KB  # noqa: E402


def environment(work: Path) -> dict:
    work.mkdir(parents=True)
    return dict(
        os.environ,
        KB_DATABASE_URL=f"sqlite:///{work / 'kb.sqlite3'}",
        KB_INDEX_DIR=str(work / "index"),
        KB_CONTENT_DIR=str(work / "none"),
    )


def timed_import(docs: Path, env: dict) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds of the command and its processes, the largest resident size
    in MB any process this benchmark started has reached: the import's, unless the corpus
    generator that may run before it was larger)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([str(KB), "import", str(docs)], env=env, check=True, capture_output=True)
    took = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return took, cpu, after.ru_maxrss / 1024


def indexed_up_to(work: Path) -> int:
    try:
        return json.loads((work / "index" / "kb-index.json").read_text()).get("last_seq") or 0
    except (OSError, ValueError):
        return 0


def served(docs: Path, work: Path, env: dict) -> tuple[float, float, list[tuple[bool, float]]]:
    """Seconds from the start of `kb import` until the running kb's index has every event;
    the CPU seconds the import and the running kb's processes used in that time; the /healthz
    answers (ok, seconds) meanwhile."""
    port = free_port()
    server = subprocess.Popen(
        [str(KB), "run", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/healthz"

    def probe() -> tuple[bool, float]:
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(url, timeout=30) as answer:
                ok = answer.status == 200
        except OSError:
            ok = False
        return ok, time.perf_counter() - started

    answers: list[tuple[bool, float]] = []
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.5):
            answers.append(probe())

    try:
        while not probe()[0]:
            time.sleep(0.2)
        poller = threading.Thread(target=poll)
        poller.start()
        started, serving = time.perf_counter(), processor_seconds(server.pid)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([str(KB), "import", str(docs)], env=env, check=True, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        with sqlite3.connect(work / "kb.sqlite3") as db:
            newest = db.execute("SELECT max(seq) FROM events").fetchone()[0]
        while indexed_up_to(work) < newest:
            time.sleep(0.2)
        took = time.perf_counter() - started
        cpu = processor_seconds(server.pid) - serving
        cpu += after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        done.set()
        poller.join()
    finally:
        server.terminate()
        server.wait()
    return took, cpu, answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--corpus", type=Path, help="a corpus folder made by bench/corpus.py")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kb-import-"))
    corpus = args.corpus or work / "corpus"
    if not args.corpus:
        subprocess.run(
            [sys.executable, str(GEN), "--n", str(args.n), "--seed", "1", "--out", str(corpus)],
            check=True,
            capture_output=True,
        )
    n = json.loads((corpus / "manifest.json").read_text())["n"]
    docs = corpus / "docs"
    rows = []
    seconds, cpu, peak = timed_import(docs, environment(work / "alone"))
    rows.append(
        (
            "kb import, alone",
            f"{seconds:.1f} s = {n / seconds:,.0f} docs/s; CPU {cpu:.1f} s "
            f"({cpu / n * 1e3:.2f} ms a document); largest process {peak:.0f} MB",
        )
    )
    seconds, cpu, answers = served(docs, work / "served", environment(work / "served"))
    waits = sorted(s for _, s in answers) or [0.0]
    failed = sum(1 for ok, _ in answers if not ok)
    rows.append(
        (
            "kb import while kb run serves",
            f"{seconds:.1f} s to a complete index = {n / seconds:,.0f} docs/s; CPU {cpu:.1f} s"
            f" ({cpu / n * 1e3:.2f} ms a document); /healthz "
            f"{len(answers) - failed}/{len(answers)} answered, p50 {waits[len(waits) // 2] * 1e3:.0f}"
            f" ms, max {waits[-1] * 1e3:.0f} ms",
        )
    )
    width = max(len(name) for name, _ in rows)
    print(f"kb import of {n:,} generated lessons")
    for name, value in rows:
        print(f"  {name.ljust(width)}  {value}")


if __name__ == "__main__":
    main()
