"""Where the time goes: cProfile over /api/search and first views of /lessons/<id>.

    .venv/bin/python bench/search.py --keep WORK       # builds WORK (corpus, database, index)
    .venv/bin/python -m bench.profile WORK [--top 25] [--what search|unseen|page|warm]

Runs every benchmark query (bench/corpus.py) through the WSGI app as a signed-in reader (not
all_access, so access rules apply), or the first 1,000 of the load test's unseen searches
(`unseen`: bench/load.py; each a new search), or the first view of 200 document
pages that reader may read (`warm`: their second view), under cProfile, and prints the
functions with the most cumulative and own time. (`-m`: run as a file, bench/ would hide the standard `profile`.)
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder is first on sys.path and this file would stand in for the
# standard library's `profile`, which cProfile imports ("module 'profile' has no attribute").
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    del sys.path[0]

import argparse  # noqa: E402
import cProfile  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402

from bench import load  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("work", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--what", choices=["search", "unseen", "page", "warm"], default="search")
    args = parser.parse_args()
    os.environ.update(
        KB_DATABASE_URL=f"sqlite:///{args.work / 'kb.sqlite3'}",
        KB_INDEX_DIR=str(args.work / "index"),
        KB_CONTENT_DIR=str(args.work / "none"),
        KB_INDEXER_THREAD="0",
        KB_WORKER_THREAD="0",
    )
    from kb import create_app
    from kb.accounts import services as accounts
    from kb.search.records import Reader

    app = create_app()
    kb = app.extensions["kb"]
    user = accounts.get_user(kb.db, "profiler") or accounts.create_user(
        kb.db, "profiler", password="a profiling password", role="reader"
    )
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:{user.session_token}"
    queries = [q["q"] for q in json.loads((args.work / "corpus" / "queries.json").read_text())]
    if args.what in ("search", "unseen"):
        urls = [f"/api/search?q={q}" for q in queries]
        client.get(urls[0])  # lazy imports and per-thread searcher outside the profile
        if args.what == "unseen":
            urls = load.unseen_searches(queries)[:1000]
    else:
        reader = Reader(all_access=False, username=user.username, groups=frozenset())
        ids = [
            hit.id
            for p in (1, 2)
            for hit in kb.index.query(
                "", filters={"type": ["lesson"]}, per_page=100, page=p, reader=reader
            ).hits
        ]
        urls = [f"/lessons/{doc_id}" for doc_id in ids]
        if args.what == "warm":
            for url in urls:
                client.get(url)
    profiler = cProfile.Profile()
    profiler.enable()
    for url in urls:
        assert client.get(url).status_code == 200, url
    profiler.disable()
    stats = pstats.Stats(profiler)
    print(f"\n{len(urls)} requests; by cumulative time:")
    stats.sort_stats("cumulative").print_stats(args.top)
    print("by own time:")
    stats.sort_stats("tottime").print_stats(args.top)
    kb.close()


if __name__ == "__main__":
    main()
