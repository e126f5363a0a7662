"""Page render time with and without glossary links, on the starter content.

    .venv/bin/python bench/glossary.py [--rounds 20]

Imports content/ into a fresh SQLite database, signs in a reader and requests every lesson,
process model and guide page `--rounds` times, each twice in turn: as kb serves it (the
first use of each term linked), and with the linking step replaced by the stored HTML.
Prints the median and 95th percentile per page, in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from kb import create_app
from kb.accounts import services as accounts
from kb.config import Config
from kb.documents import glossary
from kb.documents.transfer import import_tree
from kb.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]


def timed(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, url
    return (time.perf_counter() - started) * 1000


def timings(client, urls: list[str], rounds: int) -> tuple[list[float], list[float]]:
    """(with links, without) — each page both ways in turn, so that a busy machine weighs
    on both alike."""
    linked, plain = [], []
    original = glossary.link_terms
    for _ in range(rounds):
        for url in urls:
            linked.append(timed(client, url))
            glossary.link_terms = lambda db, viewer, html, href, *, own: html
            try:
                plain.append(timed(client, url))
            finally:
                glossary.link_terms = original
    return linked, plain


def summary(name: str, ms: list[float]) -> str:
    p95 = statistics.quantiles(ms, n=20)[-1]
    return f"{name}: median {statistics.median(ms):.2f} ms, p95 {p95:.2f} ms ({len(ms)} pages)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as work:
        url = f"sqlite:///{work}/kb.sqlite3"
        upgrade(url)
        config = Config(
            DATABASE_URL=url,
            INDEX_DIR=f"{work}/index",
            CONTENT_DIR=str(ROOT / "content"),
            SECRET_KEY="bench",
            INDEXER_THREAD=False,
        )
        app = create_app(config)
        kb = app.extensions["kb"]
        import_tree(kb.db, ROOT / "content", actor="bench")
        kb.projection.catch_up()
        user = accounts.create_user(kb.db, "rea", password="a long bench password", role="reader")
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = f"{user.id}:{user.session_token}"
            session["_fresh"], session["auth_at"] = True, int(time.time())
        urls = [
            f"/{folder}/{path.name.split('-', 3)[0]}-{path.name.split('-', 3)[1]}"
            if folder != "lessons"
            else f"/lessons/{'-'.join(path.name.split('-', 3)[:3])}"
            for folder in ("lessons", "processes", "guides")
            for path in sorted((ROOT / "content" / folder).glob("*.md"))
        ]
        timings(client, urls, 1)  # warm up: templates, caches
        linked, plain = timings(client, urls, rounds)
        print(summary("without glossary links", plain))
        print(summary("with glossary links   ", linked))
        kb.close()


if __name__ == "__main__":
    main()
