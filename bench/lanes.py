"""Webhook lanes benchmark: how long kb's own handlers wait while deliveries hang.

    .venv/bin/python bench/lanes.py [--subscriptions 50] [--timeout 10] [--give-up 120]
                                    [--database-url URL]

A receiver on 127.0.0.1 accepts connections and never answers. `--subscriptions` webhook
subscriptions point at it; a project.created event makes one delivery run per subscription,
and once a delivery is hanging, a project.closed event is ingested. Printed: the time from
ingesting project.closed to its lessons review existing (the worker threads of the embedded
set-up do the work, as in `kb run`), the connections the receiver saw and the delivery runs
still waiting. Nothing fails on the figures.
"""

from __future__ import annotations

import argparse
import json
import socket
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import func, select

from kb import create_app
from kb.config import Config
from kb.events.inbound import cloudevents
from kb.events.inbound.ingest import ingest
from kb.events.jobs.models import HandlerRun
from kb.events.webhooks import subscriptions
from kb.migrate import upgrade
from kb.reviews.models import Review
from kb.serving import start_background

PROJECT = {"projectId": "ATLAS", "name": "Atlas ERP roll-out", "managerEmail": "pm@example.org"}


class Silent:
    """Accepts every connection on 127.0.0.1 and never answers (a hung receiver)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


def event(n: int, short: str, data: dict) -> cloudevents.CloudEvent:
    body = {
        "specversion": "1.0",
        "id": f"bench-{n}",
        "source": "urn:pmo:bench",
        "type": f"org.pmo.{short}",
        "subject": "projects/ATLAS",
        "data": data,
    }
    return cloudevents.parse_request("structured", [], json.dumps(body).encode())[0]


def wait_for(condition, give_up: float) -> float | None:  # noqa: ANN001
    started = time.monotonic()
    while time.monotonic() - started < give_up:
        if condition():
            return time.monotonic() - started
        time.sleep(0.005)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=10.0, help="KB_WEBHOOK_TIMEOUT")
    parser.add_argument("--give-up", type=float, default=120.0)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kb-bench-lanes-"))
    url = args.database_url or f"sqlite:///{tmp / 'kb.sqlite3'}"
    upgrade(url)
    config = Config(
        DATABASE_URL=url,
        INDEX_DIR=str(tmp / "index"),
        SECRET_KEY="bench",
        INDEXER_THREAD=False,
        WEBHOOK_TIMEOUT=args.timeout,
    )
    app = create_app(config)
    start_background(app)  # the worker's threads, as `kb run` starts them
    kb = app.extensions["kb"]
    receiver = Silent()
    try:
        for i in range(args.subscriptions):
            subscriptions.create_subscription(kb.db, name=f"dead {i}", url=receiver.url)
        ingest(
            kb.db,
            [
                event(
                    1,
                    "project.created",
                    {
                        "project": PROJECT,
                        "tags": [],
                        "plannedStart": "2025-01-06",
                        "plannedEnd": "2025-12-19",
                    },
                )
            ],
            producer=None,
            prefix="org.pmo",
        )
        if wait_for(lambda: receiver.held, 30) is None:
            print("no delivery started within 30 s")
            return
        closed = {
            "project": PROJECT,
            "closedAt": "2025-12-19T16:00:00Z",
            "closureType": "completed",
            "managerEmail": "pm@example.org",
            "processModels": [],
        }
        ingest(kb.db, [event(2, "project.closed", closed)], producer=None, prefix="org.pmo")

        def reviewed() -> bool:
            with kb.db.read() as s:
                return bool(s.scalar(select(func.count()).select_from(Review)))

        took = wait_for(reviewed, args.give_up)
        with kb.db.read() as s:
            waiting = s.scalar(
                select(func.count()).where(
                    HandlerRun.handler.like("webhook:%"),
                    HandlerRun.status.in_(("pending", "running")),
                )
            )
        where = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
        print(
            f"{where}: {args.subscriptions} subscriptions to a receiver that never answers, "
            f"timeout {args.timeout:g} s"
        )
        if took is None:
            print(f"  project.closed -> review: not within {args.give_up:g} s")
        else:
            print(f"  project.closed -> review: {took * 1000:.0f} ms")
        print(
            f"  connections the receiver saw: {len(receiver.held)}; "
            f"delivery runs still waiting: {waiting}"
        )
    finally:
        receiver.close()
        kb.close()


if __name__ == "__main__":
    main()
