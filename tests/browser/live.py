"""A real kb served over HTTP for browser tests and the screenshot script: a SQLite file, a
Whoosh index and the starter content (or a few lessons when the content folder is empty)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from werkzeug.serving import make_server

from kb import create_app
from kb.config import Config
from kb.documents import services
from kb.documents.transfer import import_tree
from kb.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

FALLBACK_LESSONS = [
    (
        "Supplier delivered the bank interface specification late",
        "ATLAS",
        "design",
        "[procurement, schedule]",
        "[vendor, interface-spec]",
    ),
    (
        "Supplier contract had no acceptance criteria for interfaces",
        "HARBOUR",
        "procurement",
        "[procurement, quality]",
        "[vendor, contract]",
    ),
    (
        "Cut-over rehearsals caught defects before go-live",
        "ATLAS",
        "deployment",
        "[quality, risk]",
        "[cut-over]",
    ),
]


@dataclass
class LiveKb:
    url: str
    app: object


def _has_content(folder: Path) -> bool:
    return folder.is_dir() and any(folder.rglob("*.md"))


#: the account the browser journeys sign in with
EDITOR = ("petra", "a browser test password")


def _load(app) -> None:  # noqa: ANN001
    kb = app.extensions["kb"]
    from kb.accounts import services as accounts

    accounts.create_user(
        kb.db,
        EDITOR[0],
        password=EDITOR[1],
        role="curator",
        display_name="Petra Lind",
        actor="test",
    )
    if _has_content(CONTENT):
        report = import_tree(kb.db, CONTENT, actor="starter")
        assert report.created, report.summary()
    else:
        from kb.projects import services as projects

        with kb.db.write() as s:
            for key in ("ATLAS", "HARBOUR"):
                projects.upsert_project(s, {"key": key, "name": key.title(), "status": "active"})
        for title, project, phase, topics, tags in FALLBACK_LESSONS:
            source = (
                f"---\ntitle: {title}\nstatus: published\nproject: {project}\nphase: {phase}\n"
                f"topics: {topics}\ntags: {tags}\noccurred_on: 2025-03-14\n---\n\n"
                f"## Summary\n\n{title}. The supplier interface slipped and the plan moved.\n"
            )
            services.create_document(kb.db, source, actor="starter", type_hint="lesson")
    kb.projection.catch_up()


@contextmanager
def serve(workdir: Path, *, template: Path | None = None) -> Iterator[LiveKb]:
    """kb on 127.0.0.1 and a free port, in a background thread, until the block ends."""
    db_path = workdir / "kb.sqlite3"
    if template is not None:
        shutil.copy(template, db_path)
    else:
        upgrade(f"sqlite:///{db_path}")
    config = Config(
        DATABASE_URL=f"sqlite:///{db_path}",
        INDEX_DIR=str(workdir / "index"),
        CONTENT_DIR=str(CONTENT),
        SECRET_KEY="browser-test",
        TESTING=True,
        INDEXER_THREAD=False,
    )
    app = create_app(config)
    # The follower is off (TESTING): index every write as soon as it commits, as production does.
    kb = app.extensions["kb"]
    kb.db.on_commit(kb.projection.catch_up)
    _load(app)
    server = make_server("127.0.0.1", 0, _closing(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="kb-live", daemon=True)
    thread.start()
    try:
        yield LiveKb(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        kb.close()


def _closing(app):  # noqa: ANN001, ANN202
    """The app, its answers closed as soon as they are sent. Werkzeug's development server
    skips close() when the browser drops the connection while it drains the request (a
    favicon fetched as a page is left): the static file stayed open until garbage
    collection warned of it in whichever test ran then."""

    def wsgi(environ, start_response):  # noqa: ANN001, ANN202
        body = app(environ, start_response)
        try:
            yield from body
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


def chromium_missing_reason() -> str | None:
    if os.path.exists(CHROMIUM):
        return None
    return f"{CHROMIUM} is not installed"
