"""Page benchmark: how long kb takes to answer its pages, against the floor in the same run.

    .venv/bin/python bench/pages.py [--n 10000] [--keep DIR | --reuse DIR] [--rounds 20]

Generates --n lessons (bench/corpus.py), imports them with `kb import`, then kb's starter
content (content/: process models, guides, the glossary) on top, opens a lessons review on the
largest project, and asks each kind of page through the WSGI app (Flask test client) as a
signed-in reader (not all_access, so access rules apply). Prints per row, in ms, the median
and p95 of the wall-clock time and the median processor time of the serving thread (which a
busy machine barely moves; compare rows of one run, and each with the floor):

  floor: trivial route   the same app answering a route that returns a constant (sessions,
                         sign-in, before/after request hooks: what every page pays)
  floor: stored HTML     the same route returning a lesson's stored HTML read with one query
  <page> warm            the same page asked again (every cache filled)
  <page> first view      each of --first pages that nobody asked before (related documents
                         and possible duplicates computed, nothing cached for that page)

--reuse DIR takes a --keep folder of this script or of bench/search.py (the starter content
is imported into it when missing). Not a test: it prints figures and never fails on them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GEN = ROOT / "bench" / "corpus.py"
KB = Path(sys.executable).with_name("kb")
FLOOR = "/_bench/floor"
STORED = "/_bench/stored/<doc_id>"
#: lessons recorded in the bench's review workshop
WORKSHOP = 20


def stats(samples: list[tuple[float, float]]) -> str:
    """Median and p95 of the wall-clock times, and the median processor time."""
    ordered = sorted(wall for wall, _ in samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    cpu = statistics.median(cpu for _, cpu in samples)
    return (
        f"median {statistics.median(ordered):7.2f} ms   p95 {p95:7.2f} ms   "
        f"cpu {cpu:7.2f} ms   ({len(samples)})"
    )


def timed(client, url: str) -> tuple[float, float]:  # noqa: ANN001
    """(wall-clock, processor time of this thread) in ms: the second barely moves when the
    machine is busy."""
    started, cpu = time.perf_counter(), time.thread_time()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000, (time.thread_time() - cpu) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


def warm(client, urls: list[str], rounds: int) -> list[tuple[float, float]]:  # noqa: ANN001
    for url in urls:  # first views, templates, caches
        timed(client, url)
    return [timed(client, url) for _ in range(rounds) for url in urls]


def build(work: Path, n: int) -> None:
    """The corpus in work/corpus, imported into work/kb.sqlite3 and work/index."""
    subprocess.run(
        [sys.executable, str(GEN), "--n", str(n), "--seed", "1", "--out", str(work / "corpus")],
        check=True,
        capture_output=True,
    )
    subprocess.run([str(KB), "import", str(work / "corpus" / "docs")], check=True)


def add_floor_routes(app) -> None:  # noqa: ANN001
    from kb.access_rules import READER, needs
    from kb.context import current
    from kb.documents import services

    @needs(READER)
    def floor() -> str:
        return "ok"

    @needs(READER)
    def stored(doc_id: str) -> str:
        return services.get_revision(current().db, doc_id, 1).html

    app.add_url_rule(FLOOR, "bench_floor", floor)
    app.add_url_rule(STORED, "bench_stored", stored)


def open_workshop(kb, email: str) -> str:  # noqa: ANN001
    """A lessons review of the project with the most lessons, WORKSHOP of them recorded,
    the reader a participant: its project key."""
    from sqlalchemy import func, select

    from kb.core.time import utcnow
    from kb.documents.models import Document
    from kb.reviews import services as reviews
    from kb.reviews.models import ReviewLesson

    with kb.db.write() as s:
        key = s.execute(
            select(Document.project_key, func.count())
            .where(Document.type == "lesson", Document.project_key.is_not(None))
            .group_by(Document.project_key)
            .order_by(func.count().desc())
        ).first()[0]
        review = reviews.open_review(
            s,
            key,
            due_on=(utcnow() + timedelta(days=30)).date(),
            facilitator=None,
            participants=[email],
            closure_type=None,
        )
        if review is not None:
            lessons = s.scalars(
                select(Document.id)
                .where(Document.project_key == key, Document.type == "lesson")
                .order_by(Document.id)
                .limit(WORKSHOP)
            ).all()
            s.add_all(
                ReviewLesson(review_id=review.id, lesson_id=i, impact="to_improve") for i in lessons
            )
    return key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20, help="warm views of each page")
    parser.add_argument("--first", type=int, default=20, help="first views of each kind")
    parser.add_argument("--reuse", type=Path, help="a --keep folder: skip generating")
    parser.add_argument("--keep", type=Path, help="work folder to keep (default: a temp folder)")
    args = parser.parse_args()
    work = args.reuse or args.keep or Path(tempfile.mkdtemp(prefix="kb-pages-"))
    if args.keep and not args.reuse:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        KB_DATABASE_URL=f"sqlite:///{work / 'kb.sqlite3'}",
        KB_INDEX_DIR=str(work / "index"),
        KB_CONTENT_DIR=str(work / "none"),
        KB_INDEXER_THREAD="0",
        KB_WORKER_THREAD="0",
    )
    if not args.reuse:
        build(work, args.n)
    # process models, guides and the glossary (idempotent: "unchanged" when already there)
    subprocess.run([str(KB), "import", str(ROOT / "content")], check=True, capture_output=True)

    from sqlalchemy import func, select

    from kb import create_app
    from kb.accounts import services as accounts
    from kb.documents.models import Document
    from kb.search.records import Reader

    app = create_app()
    add_floor_routes(app)
    kb = app.extensions["kb"]
    user = accounts.get_user(kb.db, "pagebench") or accounts.create_user(
        kb.db, "pagebench", password="a page bench password", role="reader", email="pb@bench.test"
    )
    key = open_workshop(kb, "pb@bench.test")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:{user.session_token}"
    reader = Reader(all_access=False, username=user.username, groups=frozenset())

    def visible(doc_type: str, count: int) -> list[str]:
        hits = kb.index.query("", filters={"type": [doc_type]}, per_page=count, reader=reader)
        return [hit.id for hit in hits.hits]

    with kb.db.read() as s:
        n = s.scalar(select(func.count()).where(Document.type == "lesson"))
    lessons = visible("lesson", 1 + args.first)
    rows: list[tuple[str, str]] = [
        ("floor: trivial route", stats(warm(client, [FLOOR], args.rounds * 5))),
        (
            "floor: stored HTML",
            stats(warm(client, [STORED.replace("<doc_id>", lessons[0])], args.rounds * 5)),
        ),
    ]
    for kind, folder in (("lesson", "lessons"), ("process", "processes"), ("guide", "guides")):
        ids = lessons if kind == "lesson" else visible(kind, 1 + args.first)
        urls = [f"/{folder}/{i}" for i in ids]
        first = [timed(client, url) for url in urls[1:]]
        rows.append((f"{kind} page: warm", stats(warm(client, urls[:1], args.rounds * 5))))
        rows.append((f"{kind} page: first view", stats(first)))
    lists = {
        "list: /lessons": "/lessons",
        "list: /lessons?sort=title": "/lessons?sort=title",
        "list: /lessons?topic=procurement&status=published": (
            "/lessons?topic=procurement&status=published"
        ),
        f"list: /lessons?project={key}&page=2": f"/lessons?project={key}&page=2",
        "list: /processes": "/processes",
        "list: /processes?overdue=1": "/processes?overdue=1",
        "list: /guides": "/guides",
        f"project page: /projects/{key}": f"/projects/{key}",
        f"review workshop: /projects/{key}/review": f"/projects/{key}/review",
    }
    for name, url in lists.items():
        rows.append((name, stats(warm(client, [url], args.rounds))))
    kb.close()

    width = max(len(k) for k, _ in rows)
    table = "\n".join(f"  {name:<{width}}  {value}" for name, value in rows)
    print(f"\nkb page benchmark: {n:,} lessons, signed in as a reader\n\n{table}")
    if not args.keep and not args.reuse:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
