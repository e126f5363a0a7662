"""Dashboard benchmark: a generated corpus imported with `kb import`, a year of generated
history written through kb's services, then /dashboard and /api/dashboard timed; also what
logging a search costs next to the search itself.

    .venv/bin/python bench/dashboard.py [--n 2000] [--keep DIR [--reuse]] [--database-url URL]

The history: a third of the lessons are submitted, reviewed and published over the past
year, half of those get an action (some closed, on time or late), 3,000 searches (one in
five finds nothing) and 20,000 page views spread over the year. Not a test: it prints
figures and never fails on them.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
KB = ROOT / ".venv" / "bin" / "kb"
GEN = ROOT / "bench" / "corpus.py"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Moment(datetime):
    """kb.core.time's datetime while the history is written: now() is the history's clock."""

    current = NOW

    @classmethod
    def now(cls, tz=None):  # noqa: ANN001, ANN206
        return cls.current


def timed(call, rounds: int) -> list[float]:  # noqa: ANN001
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples):.1f} ms, max {max(samples):.1f} ms"


def write_history(kb, n_lessons: int, rng: random.Random) -> None:  # noqa: ANN001
    """A year of lessons' course, actions, searches and page views, dated by the history clock."""
    from sqlalchemy import select

    from kb.accounts.viewer import Viewer
    from kb.actions import services as actions
    from kb.core import time as kb_time
    from kb.documents import lifecycle
    from kb.documents.models import Document
    from kb.usage import services as usage

    curator = Viewer("bench-curator", "curator")
    with kb.db.read() as s:
        ids = list(
            s.scalars(
                select(Document.id).where(Document.type == "lesson", Document.status == "draft")
            )
        )
        every = list(s.scalars(select(Document.id).where(Document.type == "lesson")))
    kb_time.datetime = Moment
    try:
        for doc_id in ids[: n_lessons // 3]:
            Moment.current = NOW - timedelta(days=rng.uniform(20, 365))
            lifecycle.transition_lesson(kb.db, doc_id, "submitted", viewer=curator)
            Moment.current += timedelta(days=rng.uniform(0.5, 20))
            lifecycle.transition_lesson(kb.db, doc_id, "in_review", viewer=curator)
            lifecycle.transition_lesson(kb.db, doc_id, "published", viewer=curator)
            if rng.random() < 0.5:
                due = (Moment.current + timedelta(days=30)).date().isoformat()
                action = actions.add_action(
                    kb.db,
                    doc_id,
                    viewer=curator,
                    description="Change the template",
                    owner="pat",
                    due_on=due,
                    target_kind="template",
                    target_ref="A template",
                )
                if rng.random() < 0.6:
                    Moment.current += timedelta(days=rng.uniform(5, 45))
                    actions.close_action(kb.db, action.id, viewer=curator)
        words = ["supplier", "vendor delay", "budget", "gate review", "quokka", "zzz handover"]
        for _ in range(3000):
            moment = NOW - timedelta(days=rng.uniform(0, 365))
            q = rng.choice(words)
            usage.record_search(kb.db, q, 0 if "quokka" in q or "zzz" in q else 7, at=moment)
        for _ in range(20000):
            moment = NOW - timedelta(days=rng.uniform(0, 365))
            usage.record_view(kb.db, rng.choice(every), at=moment)
    finally:
        kb_time.datetime = datetime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temp folder)")
    parser.add_argument("--database-url", help="default: a SQLite file in the work folder")
    parser.add_argument("--reuse", action="store_true", help="measure a kept folder again")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="kb-dashboard-"))
    if not args.reuse:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        subprocess.run(
            [sys.executable, str(GEN), "--n", str(args.n), "--seed", "1"]
            + ["--out", str(work / "corpus"), "--processes", "40"],
            check=True,
            capture_output=True,
        )
    env = dict(
        os.environ,
        KB_DATABASE_URL=args.database_url or f"sqlite:///{work / 'kb.sqlite3'}",
        KB_INDEX_DIR=str(work / "index"),
        KB_CONTENT_DIR=str(work / "none"),
    )
    if not args.reuse:
        subprocess.run([str(KB), "import", str(work / "corpus" / "docs")], env=env, check=True)
    os.environ.update(env)

    from kb import create_app
    from kb.accounts import services as accounts
    from kb.config import Config
    from kb.usage import services as usage

    config = Config.from_env()
    config.INDEXER_THREAD = False
    app = create_app(config)
    kb = app.extensions["kb"]
    if not args.reuse:
        started = time.perf_counter()
        write_history(kb, args.n, random.Random(1))
        print(f"history written in {time.perf_counter() - started:.0f} s")
    if not kb.db.is_sqlite:
        # what autovacuum does on a production server (it is off on the test server): without
        # statistics PostgreSQL plans the topic filter as a nested loop over every label
        with kb.db.write() as s:
            s.execute(text("ANALYZE"))
    user = accounts.get_user(kb.db, "bench-curator") or accounts.create_user(
        kb.db, "bench-curator", password="a bench password", role="curator"
    )
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:{user.session_token}"

    def get(url: str, **query) -> None:  # noqa: ANN003
        response = client.get(url, query_string=query)
        assert response.status_code == 200, (url, response.status_code)

    year = {"since": "2025-12", "until": "2026-11"}
    get("/dashboard", **year)  # warm
    rows = [
        ("GET /dashboard (a year)", ms(timed(lambda: get("/dashboard", **year), args.rounds))),
        (
            "GET /dashboard (topic schedule)",
            ms(timed(lambda: get("/dashboard", **year, topic="schedule"), args.rounds)),
        ),
        ("GET /api/dashboard", ms(timed(lambda: get("/api/dashboard", **year), args.rounds))),
        (
            "GET /dashboard/searches.csv",
            ms(timed(lambda: get("/dashboard/searches.csv", **year), args.rounds)),
        ),
    ]
    kb.projection.catch_up()
    rows.append(
        ("GET /api/search?q=supplier", ms(timed(lambda: get("/api/search", q="supplier"), 50)))
    )
    rows.append(
        (
            "logging one search (after the answer is sent)",
            ms(timed(lambda: usage.record_search(kb.db, "supplier", 7), 200)),
        )
    )
    width = max(len(name) for name, _ in rows)
    print(f"{args.n:,} lessons, {config.DATABASE_URL.split(':')[0]}")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    kb.close()


if __name__ == "__main__":
    main()
