"""What the serving entry point adds to create_app(): background threads started in the
process that serves (never by the factory, which a pre-forking server runs before forking),
and trust in X-Forwarded-* headers only from as many proxies as KB_TRUSTED_PROXIES says."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest

from kb import create_app
from kb.config import Config
from kb.documents import services
from kb.search import SearchIndex
from kb.serving import start_background, start_on_first_request
from tests.conftest import register_projects

BACKGROUND = ("kb-index", "kb-worker")


def running() -> Counter:
    return Counter(t.name for t in threading.enumerate() if t.name in BACKGROUND)


@pytest.fixture
def serving_config(config) -> Config:
    """Both threads asked for, outside tests' TESTING mode: as `kb run` and gunicorn run."""
    return dataclasses.replace(
        config,
        INDEXER_THREAD=True,
        WORKER_THREAD=True,
        TESTING=False,
        INDEXER_INTERVAL=0.05,
        WORKER_INTERVAL=0.05,
    )


@pytest.fixture
def served(serving_config):
    apps = []

    def make():
        app = create_app(serving_config)
        app.config["WTF_CSRF_ENABLED"] = False
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["kb"].close()


def test_the_factory_starts_no_thread_the_entry_point_starts_them_once(served, lesson_md):
    before = running()
    app = served()
    assert running() == before  # a pre-forking server may fork this app safely
    start_background(app)
    start_background(app)  # again: harmless
    assert running() - before == Counter(BACKGROUND)
    kb = app.extensions["kb"]
    register_projects(kb, "ATLAS")  # this app has a database of its own
    doc = services.create_document(
        kb.db, lesson_md("Cutover rehearsal saved the weekend"), actor="tester", type_hint="lesson"
    )
    deadline = time.monotonic() + 60  # bounds a hang on a loaded machine
    while time.monotonic() < deadline and not kb.index.query("rehearsal").hits:
        time.sleep(0.02)
    assert [h.id for h in kb.index.query("rehearsal").hits] == [doc.id]


def test_other_servers_start_them_at_the_first_request_of_each_process(served):
    before = running()
    app = served()
    start_on_first_request(app)
    assert running() == before
    # even a request the access check answers itself (a redirect to sign in) starts them
    assert app.test_client().get("/").status_code in (302, 303)
    assert running() - before == Counter(BACKGROUND)
    app.test_client().get("/healthz")
    assert running() - before == Counter(BACKGROUND)


def test_one_process_of_a_host_follows_the_log_the_others_read(tmp_path):
    first, second = SearchIndex(tmp_path / "index"), SearchIndex(tmp_path / "index")
    try:
        assert first.is_follower()
        assert not second.is_follower()
        assert first.is_follower()  # it keeps the role
        first.close()  # (or dies: the OS frees the lock all the same)
        assert second.is_follower()
    finally:
        second.close()


def test_only_the_follower_applies_the_log(kb, lesson_md, tmp_path):
    from kb.documents.projection import IndexProjection

    other = SearchIndex(kb.config.INDEX_DIR)  # another process of the same host
    try:
        assert kb.projection.follow() >= 0 and kb.index.is_follower()
        services.create_document(
            kb.db,
            lesson_md("Cutover rehearsal saved the weekend"),
            actor="tester",
            type_hint="lesson",
        )
        assert IndexProjection(kb.db, other).follow() == 0  # reads, never writes
        assert kb.projection.follow() >= 1
        assert [h.title for h in other.query("rehearsal").hits] == [
            "Cutover rehearsal saved the weekend"
        ]
    finally:
        other.close()


def test_an_import_indexes_beside_the_running_follower(runner, kb, lesson_md, tmp_path):
    """`kb import` indexes what it imports itself, in processes of its own, also while a kb
    runs on the host: that kb's follower, one thread indexing in one process, fell behind
    it. (Writing after another writer's commit is refused: kb.documents.projection.)"""
    from kb.cli import main
    from kb.documents.projection import IndexProjection

    folder = tmp_path / "src" / "lessons"
    folder.mkdir(parents=True)
    (folder / "one.md").write_text(lesson_md("Cutover rehearsal saved the weekend"), "utf-8")
    running = SearchIndex(kb.config.INDEX_DIR)  # a web process of this host
    try:
        assert running.is_follower()
        result = runner.invoke(main, ["import", str(tmp_path / "src")])
        assert result.exit_code == 0, result.output
        assert "Search index up to date" in result.output
        assert running.is_follower()  # it keeps the role
        assert [h.title for h in running.query("rehearsal").hits] == [
            "Cutover rehearsal saved the weekend"
        ]
        follower = IndexProjection(kb.db, running)
        assert follower.follow() == 0 and follower.lag() == 0
    finally:
        running.close()


def _guess(client, username: str, address: str) -> int:
    return client.post(
        "/login",
        data={"username": username, "password": "wrong"},
        headers={"X-Forwarded-For": address},
    ).status_code


@pytest.mark.parametrize(("proxies", "other_address"), [(1, 401), (0, 429)])
def test_behind_a_trusted_proxy_each_client_is_throttled_by_its_own_address(
    served, serving_config, proxies, other_address
):
    serving_config.TRUSTED_PROXIES = proxies
    client = served().test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.1"  # the proxy
    for i in range(5):  # the limit per address (another account each time)
        assert _guess(client, f"nobody{i}", "203.0.113.7") == 401
    assert _guess(client, "nobody5", "203.0.113.7") == 429
    # Trusted: another person behind the same proxy is not locked out. Not trusted: the
    # header is anyone's to forge, so the proxy's own address is what counts.
    assert _guess(client, "somebody", "198.51.100.2") == other_address


def test_a_negative_number_of_proxies_is_refused():
    with pytest.raises(RuntimeError, match="KB_TRUSTED_PROXIES"):
        Config.from_env({"KB_TRUSTED_PROXIES": "-1"}).finalise()


def test_a_kb_on_sqlite_loads_neither_psycopg_nor_jsonschema(tmp_path):
    """Each process of a server holds what it imports (about 20 MB for psycopg, 8 MB for
    jsonschema): on SQLite nothing listens on PostgreSQL, and jsonschema is loaded only to word
    the problems of invalid event data."""
    script = (
        "import sys\n"
        "from kb import create_app\n"
        "create_app()\n"
        "print(sorted(m for m in ('psycopg', 'jsonschema') if m in sys.modules))\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KB_")},
        "KB_DATABASE_URL": f"sqlite:///{tmp_path / 'kb.sqlite3'}",
        "KB_INDEX_DIR": str(tmp_path / "index"),
    }
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]", out.stderr
