"""Idle cost: CPU of a `kb run` nobody uses, and whether it writes to its database.

    .venv/bin/python bench/idle.py [--seconds 10] [--keep DIR]

Starts `kb run` on a fresh SQLite database, waits for /healthz, then samples the server's CPU
time (/proc, its serving processes too) for --seconds while nobody calls it, and reads SQLite's `PRAGMA data_version`
from another connection before and after (it changes when any other connection commits).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `python bench/idle.py` from the checkout
from bench.procs import processor_seconds  # noqa: E402

KB = Path(sys.executable).with_name("kb")


def wait_healthy(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("kb run did not answer /healthz")


def measure(work: Path, seconds: float, port: int = 5099) -> dict:
    db = work / "kb.sqlite3"
    env = dict(
        os.environ,
        KB_DATABASE_URL=f"sqlite:///{db}",
        KB_INDEX_DIR=str(work / "index"),
        KB_CONTENT_DIR=str(work / "none"),
    )
    subprocess.run([str(KB), "init"], env=env, check=True, capture_output=True)
    server = subprocess.Popen(
        [str(KB), "run", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(port)
        time.sleep(2)  # start-up work (first passes, index catch-up) is not idling
        probe = sqlite3.connect(db)
        version = probe.execute("PRAGMA data_version").fetchone()[0]
        cpu = processor_seconds(server.pid)
        time.sleep(seconds)
        cpu = processor_seconds(server.pid) - cpu
        changed = probe.execute("PRAGMA data_version").fetchone()[0] != version
        probe.close()
    finally:
        server.terminate()
        server.wait(10)
    return {"cpu": 100 * cpu / seconds, "wrote": changed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--port", type=int, default=5099)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kb-idle-") as work:
        result = measure(Path(work), args.seconds, args.port)
    print(
        f"\nidle kb run over {args.seconds:g} s: {result['cpu']:.2f} % of a core, "
        f"database {'WRITTEN' if result['wrote'] else 'not written'}"
    )


if __name__ == "__main__":
    main()
