"""Read-only commands write nothing: not even at start-up (KB_EVENT_SECRET is registered by
the server, `kb init` and `kb worker` only), so they work while another process holds
SQLite's write lock."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb import create_app
from kb.cli import main
from kb.config import Config
from kb.events.inbound.producers import new_secret

CONTENT = Path(__file__).resolve().parents[2] / "content"


def read_only_commands(out: Path, seq: int) -> list[list[str]]:
    return [
        ["events", "list"],
        ["events", "list", "--json"],
        ["events", "show", str(seq)],
        ["users", "list"],
        ["producers", "list"],
        ["subscriptions", "list"],
        ["export", str(out)],
        ["reindex"],  # writes this host's index folder, never the database
    ]


@pytest.fixture
def database(sqlite_template, tmp_path, monkeypatch, lesson_md) -> Path:
    """A SQLite database with a user, producers, a subscription and a lesson (and events)."""
    path = tmp_path / "kb.sqlite3"
    shutil.copy(sqlite_template, path)
    env = {
        "KB_DATABASE_URL": f"sqlite:///{path}",
        "KB_INDEX_DIR": str(tmp_path / "index"),
        "KB_CONTENT_DIR": str(CONTENT),
        "KB_SECRET_KEY": "test-secret",
        "KB_EVENT_SECRET": new_secret(),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "src" / "lessons").mkdir(parents=True)
    (tmp_path / "src" / "lessons" / "one.md").write_text(lesson_md(), encoding="utf-8")
    (tmp_path / "src" / "projects").mkdir()
    (tmp_path / "src" / "projects" / "ATLAS.md").write_text("---\nkey: ATLAS\nname: Atlas\n---\n")
    runner = CliRunner()
    for args in (
        ["init", "--no-content"],
        ["import", str(tmp_path / "src")],
        ["users", "create", "dana"],
        ["producers", "add", "ado"],
        ["subscriptions", "add", "hook", "https://hooks.example.com/kb"],
    ):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (args, result.output)
    # a changed secret: the old start-up would write it, now only `kb init` / `kb worker` do
    monkeypatch.setenv("KB_EVENT_SECRET", new_secret())
    return path


def snapshot(conn: sqlite3.Connection) -> dict[str, object]:
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    default = conn.execute("SELECT secret FROM producers WHERE name = 'default'").fetchone()
    return {
        "data_version": conn.execute("PRAGMA data_version").fetchone()[0],
        "rows": counts,
        "default secret": default,
    }


def last_seq(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT max(seq) FROM events").fetchone()[0]


def run_all(runner: CliRunner, commands: list[list[str]]) -> None:
    for args in commands:
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (args, result.output, result.exception)
        assert result.output.strip(), args  # they did read something


def test_read_only_commands_write_nothing(database, tmp_path):
    observer = sqlite3.connect(database, isolation_level=None)
    try:
        before = snapshot(observer)
        assert before["rows"]["events"] >= 1 and before["rows"]["users"] == 1
        run_all(CliRunner(), read_only_commands(tmp_path / "out", last_seq(observer)))
        assert snapshot(observer) == before  # data_version changes with any other commit
    finally:
        observer.close()


def test_read_only_commands_run_while_another_process_holds_the_write_lock(database, tmp_path):
    holder = sqlite3.connect(database, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # as a busy server's write transaction would
        before = snapshot(holder)
        commands = read_only_commands(tmp_path / "out", last_seq(holder))
        run_all(CliRunner(), commands)  # a write would wait for busy_timeout, then fail "locked"
        assert snapshot(holder) == before
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_the_server_starts_without_writing_when_the_secret_is_unchanged(database):
    holder = sqlite3.connect(database, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        before = snapshot(holder)
        config = Config.from_env()
        config.TESTING, config.EVENT_SECRET = True, before["default secret"][0]
        create_app(config).extensions["kb"].close()  # a write would wait, then fail "locked"
        assert snapshot(holder) == before
    finally:
        holder.execute("ROLLBACK")
        holder.close()
