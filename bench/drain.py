"""Where the worker's time goes: a backlog of project events drained in this process.

    .venv/bin/python bench/drain.py [--events 2000] [--renames] [--backend sqlite|postgresql]
                                    [--profile 25]

Creates a throw-away database (`kb init --no-content`), stores `--events` events of type
org.pmo.project.created for new projects (as bench/events.py sends them; `--renames`: as many
again renaming them) through ingest in batches of 100, then runs the worker's kb lane in this
process (no threads, no index follower) until nothing is left. Prints the runs done, the
process's CPU seconds for them and the CPU microseconds per run; `--profile N` drains under
cProfile instead and prints the N functions with the most own and cumulative time (cProfile
slows the drain: compare CPU per run only between runs without it).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, bench/ is first on sys.path and its profile.py would stand in for the
# standard library's, which cProfile imports: the project's root instead.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse  # noqa: E402
import cProfile  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from bench.events import KB, database, event  # noqa: E402


def store_backlog(kb, n: int, renames: bool) -> None:  # noqa: ANN001
    from kb.events.inbound import cloudevents, ingest

    bodies = [event("project.created", f"D{i}", f"Drain {i}") for i in range(n)]
    if renames:
        bodies += [event("project.created", f"D{i}", f"Renamed {i}") for i in range(n)]
    for start in range(0, len(bodies), 100):
        body = json.dumps(bodies[start : start + 100]).encode()
        events = cloudevents.parse_request("batch", [], body)
        ingest.ingest(kb.db, events, producer=None, prefix=kb.config.EVENT_TYPE_PREFIX)


def drain(kb) -> int:  # noqa: ANN001
    done = 0
    while ran := kb.worker.run_kb_lane():
        done += ran
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--renames", action="store_true")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    parser.add_argument("--save", type=Path, help="with --profile: write the profile's data here")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="kb-drain-") as work,
        database(args.backend, Path(work)) as url,
    ):
        os.environ.update(
            KB_DATABASE_URL=url,
            KB_INDEX_DIR=str(Path(work) / "index"),
            KB_CONTENT_DIR=str(Path(work) / "no-content"),
            KB_SECRET_KEY="bench",
            KB_INDEXER_THREAD="0",
            KB_WORKER_THREAD="0",
        )
        subprocess.run([str(KB), "init", "--no-content"], check=True, capture_output=True)
        from kb.config import Config
        from kb.context import Kb

        kb = Kb.open(Config.from_env().finalise())
        try:
            store_backlog(kb, args.events, args.renames)
            kb.worker.run_kb_lane(max_runs=0)  # dispatch (and first queries) outside the figures
            # this thread's CPU time, not the wall clock (on a busy machine: the neighbours')
            profile = cProfile.Profile(time.thread_time) if args.profile else None
            wall, cpu = time.perf_counter(), time.process_time()
            if profile:
                profile.enable()
            runs = drain(kb)
            if profile:
                profile.disable()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        finally:
            kb.close()
    print(
        f"{args.backend}: {runs:,} runs in {wall:.2f} s wall, {cpu:.2f} s CPU of this process: "
        f"{cpu / runs * 1e6:,.0f} us CPU per run, {runs / cpu:,.0f} runs per CPU-second"
    )
    if profile and args.save:
        profile.dump_stats(args.save)
    if profile:
        for order in ("tottime", "cumulative"):
            pstats.Stats(profile).sort_stats(order).print_stats(args.profile)


if __name__ == "__main__":
    main()
