"""`kb run` as a person starts it: on a machine that can fork, one process per core (gunicorn
workers forked from it), each with the index follower's and the worker's threads; a lesson
saved through any process is searchable through all at once, not at a follower's next look;
Ctrl+C (or a service manager's SIGTERM) stops them all and leaves nothing behind; a second
kb on the same port is refused.
`--processes 1` serves from itself."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid

import pytest

from bench.procs import tree
from kb.events.log.nudges import folder_of
from tests.e2e.fleet import BIN, START_WITHIN, Host, call, free_port


def children(pid: int) -> set[int]:
    return tree(pid) - {pid}


def kb(env: dict, *args: str, stdin: str = "") -> str:
    done = subprocess.run(
        [str(BIN / "kb"), *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def searchable(url: str, token: str, word: str, doc_id: str) -> bool:
    deadline = time.monotonic() + 30  # the follower's own look would come after 60 s
    while time.monotonic() < deadline:
        answer = call(f"{url}/api/search?q={word}", headers={"Authorization": f"Bearer {token}"})
        if any(hit["id"] == doc_id for hit in answer.json.get("hits", [])):
            return True
        time.sleep(0.05)
    return False


# Ctrl+C reaches the whole process group; SIGTERM is what a service manager sends. (A process
# started with SIGINT ignored, as by pytest-xdist or `kb run &` in a script, keeps it ignored
# unless it sets a handler of its own, as gunicorn's master does.)
@pytest.mark.parametrize(("processes", "stop"), [(2, signal.SIGINT), (1, signal.SIGTERM)])
def test_kb_run_serves_from_its_processes_and_saves_are_searchable_at_once(
    tmp_path, processes, stop
):
    database = tmp_path / "kb.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")} | {
        "KB_DATABASE_URL": f"sqlite:///{database}",
        "KB_INDEX_DIR": str(tmp_path / "index"),
        "KB_CONTENT_DIR": str(tmp_path / "no-content"),
        "KB_SECRET_KEY": "test-secret",
        "KB_INDEXER_INTERVAL": "60",  # only a wake-up makes a change searchable within a minute
        "KB_WORKER_INTERVAL": "60",
    }
    kb(env, "init", "--no-content")
    kb(
        env,
        "users",
        "create",
        "author",
        "--role",
        "contributor",
        "--password-stdin",
        stdin="a password\n",
    )
    token = kb(env, "users", "token", "author", "--scope", "write").strip()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(tmp_path / "run.log", "wb") as log:
        server = subprocess.Popen(
            [str(BIN / "kb"), "run", "--port", str(port), "--processes", str(processes)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    host = Host("run", url, tmp_path / "index", server)
    try:
        deadline = time.monotonic() + START_WITHIN
        workers = processes if processes > 1 else 0  # one process serves from itself
        while len(children(server.pid)) < workers or host.health() is None:
            assert server.poll() is None, (tmp_path / "run.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "run.log").read_text()
            time.sleep(0.1)
        assert len(children(server.pid)) == workers
        # each save and each search on a connection of its own: any of the processes answers
        for n in range(6):
            word = f"zebra{uuid.uuid4().hex[:8]}"
            lesson = {
                "title": f"Cut-over rehearsal {n}",
                "body": f"The {word} rehearsal found defects.",
            }
            saved = call(
                f"{url}/api/lessons",
                "POST",
                body=json.dumps(lesson).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            assert saved.status == 201, saved.json
            assert searchable(url, token, word, saved.json["id"]), n
        # a second kb on the same port is refused, not let in beside the first (the forked
        # workers listen with SO_REUSEPORT, which a second kb of the same user could share)
        second = subprocess.run(
            [str(BIN / "kb"), "run", "--port", str(port), "--processes", "2"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode != 0 and "cannot listen on" in second.stderr, second
    finally:
        os.killpg(server.pid, stop)
        server.wait(60)
    assert not children(server.pid)
    assert not folder_of(database).exists()  # every process removed its socket for news
