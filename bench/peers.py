"""Peers for the comparison (`make bench PEERS=1`): wikmd, a Flask + Whoosh wiki, on the same
generated lessons, set up in a throw-away virtualenv when the package registry is reachable.
Nothing of it stays: the virtualenv, its wiki folder and its index are removed at the end.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from bench import load, reference
from bench.tables import stats

START_LIMIT = 900  # seconds: wikmd indexes every page before it answers (about a minute at 10k)


def setup() -> dict:
    """{"venv": folder} when wikmd could be installed, else {"skipped": why}."""
    folder = Path(tempfile.mkdtemp(prefix="kb-peers-"))
    venv = folder / "venv"
    made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True)
    if made.returncode == 0:
        made = subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", "wikmd"],
            capture_output=True,
            text=True,
            timeout=900,
        )
    if made.returncode:
        shutil.rmtree(folder, ignore_errors=True)
        last = (made.stderr.strip().splitlines() or ["no output"])[-1]
        return {"skipped": f"skipped (pip install wikmd failed: {last[:160]})"}
    return {"venv": venv, "folder": folder}


def cleanup(peer: dict) -> None:
    if "folder" in peer:
        shutil.rmtree(peer["folder"], ignore_errors=True)


def measure(peer: dict, work: Path, rounds: int, seconds: float) -> dict:
    """wikmd on the lessons of `work`'s corpus: its start, sequential searches and the load
    test of bench/load.py ({"search": (median, p95) ms, "start": s, "load": rows}, or
    {"skipped": why})."""
    site = Path(tempfile.mkdtemp(prefix="wikmd-", dir=peer["folder"]))
    shutil.copytree(work / "corpus" / "docs" / "lessons", site / "wiki" / "lessons")
    port = reference.free_port()
    env = {
        "PATH": f"{peer['venv'] / 'bin'}:/usr/bin:/bin",
        "HOME": str(site),
        "WIKMD_HOST": "127.0.0.1",
        "WIKMD_PORT": str(port),
        "WIKMD_LOGGING": "0",
        "WIKI_DIRECTORY": str(site / "wiki"),
        "CACHE_DIR": str(site / "cache"),
        "SEARCH_DIR": str(site / "search"),
    }
    started = time.perf_counter()
    server = subprocess.Popen(
        [str(peer["venv"] / "bin" / "wikmd")],
        cwd=site,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while load.status(port, "/") != 200:
            if server.poll() is not None or time.perf_counter() - started > START_LIMIT:
                return {"skipped": "skipped (wikmd did not start)"}
            time.sleep(0.2)
        took = time.perf_counter() - started
        queries = load.benchmark_queries(work)
        paths = [f"/search?{urllib.parse.urlencode({'q': q})}" for q in queries]
        samples = []
        for _ in range(rounds):
            for path in paths:
                began = time.perf_counter()
                load.status(port, path)
                samples.append(time.perf_counter() - began)
        median, p95 = stats(samples)
        pages = [f"/lessons/{p.stem}" for p in sorted((site / "wiki" / "lessons").glob("*.md"))]
        wrk = load.have_wrk()
        rows = [
            (name, load.scenario(server.pid, port, (urls, urls), "", (seconds, 3, 8), wrk))
            for name, urls in (("search", paths), ("page", pages[: load.PAGES]))
        ]
        return {
            "search": (median, p95),
            "start": took,
            "load": rows,
        }
    finally:
        server.terminate()
        server.wait(30)
