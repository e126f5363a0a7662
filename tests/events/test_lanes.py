"""Deliveries never hold up kb's own handlers: separate lanes and threads, at most a few
attempts at once per receiver host (over all workers), and a disabled subscription's waiting
deliveries cancelled. Receivers are real sockets on 127.0.0.1; nothing else is contacted."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from kb.context import build_registry, subscriber_rules
from kb.events.jobs import admin
from kb.events.jobs.models import HandlerRun
from kb.events.jobs.registry import DELIVERY_LANE, KB_LANE, Registry
from kb.events.jobs.worker import Worker
from kb.events.kinds.documents import LessonPublished
from kb.events.kinds.examples import example
from kb.events.log.services import append_event
from kb.events.webhooks import delivery as webhooks
from kb.events.webhooks import subscriptions
from kb.reviews.models import Review


class Silent:
    """Accepts connections, reads what is sent and never answers; counts open connections."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.open = self.most = self.seen = 0
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()
        self.trickle = False
        self.closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.open += 1
                self.seen += 1
                self.most = max(self.most, self.open)
                self.conns.append(conn)
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            if self.trickle:  # answer one byte every 0.1 s, for as long as it is read
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 500 Slow")
                while not self.closed.wait(0.1):
                    conn.sendall(b"z")
            while conn.recv(65536):  # until the client gives up (its timeout) or we hang up
                pass
        with self.lock:
            self.open -= 1

    def hang_up(self) -> None:
        """Close every connection from our side (the client's attempt fails at once)."""
        with self.lock:
            conns = list(self.conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.closed.set()
        with contextlib.suppress(OSError):  # wakes the blocked accept() (close alone does not)
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.hang_up()


@pytest.fixture
def silent():
    receiver = Silent()
    yield receiver
    receiver.close()  # before the app closes: hanging attempts end, threads stop at once


def until(condition, seconds: float = 30.0) -> float:  # noqa: ANN001
    """Poll `condition` until true; the seconds it took (fails after `seconds`)."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, "condition not reached in time"
        time.sleep(0.002)
    return time.monotonic() - started


def kb_event(kb, n: int = 0) -> int:
    with kb.db.write() as s:
        event = append_event(s, example(LessonPublished, id=f"LL-{n}", title="t"))
    return event.seq


def delivery_runs(kb, sub=None) -> list[HandlerRun]:  # noqa: ANN001
    query = select(HandlerRun).where(HandlerRun.handler.like("webhook:%"))
    if sub is not None:
        query = query.where(HandlerRun.handler == f"webhook:{sub.id}")
    with kb.db.read() as s:
        return list(s.scalars(query.order_by(HandlerRun.id)))


def reviews(kb) -> int:
    with kb.db.read() as s:
        return s.scalar(select(func.count()).select_from(Review))


def test_the_review_exists_within_2_s_while_50_deliveries_hang(
    kb, config, silent, ingest_post, ingest_event
):
    for i in range(50):
        subscriptions.create_subscription(kb.db, name=f"dead {i}", url=silent.url)
    kb.worker_thread.start()  # the embedded set-up: kb's lane and the delivery threads
    created = ingest_event("project.created")
    assert ingest_post(created).status_code == 202
    until(lambda: silent.open >= 1)  # kb.project.created: 50 deliveries, one hangs already

    started = time.monotonic()
    assert ingest_post(ingest_event("project.closed")).status_code == 202
    until(lambda: reviews(kb) == 1)
    took = time.monotonic() - started

    assert took < 2.0, f"the review took {took:.2f} s"
    assert config.WEBHOOK_TIMEOUT >= 10  # the attempts hang for longer than the review took
    assert silent.most <= config.DELIVERIES_PER_RECEIVER == 2
    waiting = [r for r in delivery_runs(kb) if r.status in ("pending", "running")]
    assert len(waiting) >= 48 and {r.lane for r in waiting} == {DELIVERY_LANE}


def test_at_most_the_cap_per_receiver_is_claimed_over_all_workers(kb, clock):
    for i in range(5):  # five subscriptions, one host
        subscriptions.create_subscription(kb.db, name=f"d{i}", url=f"http://127.0.0.1:{9 + i}/h")
    subscriptions.create_subscription(kb.db, name="other", url="http://localhost:9/h")
    first = Worker(kb.db, kb.registry, name="first", lease=30, clock=clock, receiver_cap=2)
    second = Worker(kb.db, kb.registry, name="second", lease=30, clock=clock, receiver_cap=2)
    kb_event(kb)
    first.run_kb_lane()  # dispatch (and kb's own handlers); delivers nothing
    runs = {r.id: r for r in delivery_runs(kb)}
    assert [r.receiver for r in runs.values()] == ["127.0.0.1"] * 5 + ["localhost"]
    assert {r.status for r in runs.values()} == {"pending"}
    assert all(r.lane == KB_LANE for r in kb_runs(kb))
    assert first.claim(100, lane=KB_LANE) == []  # kb's lane never takes a delivery

    claimed = [
        first.claim(1, lane=DELIVERY_LANE),
        second.claim(1, lane=DELIVERY_LANE),
        first.claim(1, lane=DELIVERY_LANE),
        second.claim(1, lane=DELIVERY_LANE),
    ]
    hosts = [runs[c[0]].receiver if c else None for c in claimed]
    # the third claim passes over the three waiting runs of the busy host
    assert hosts == ["127.0.0.1", "127.0.0.1", "localhost", None]

    clock.advance(31)  # both workers died: their leases end, the runs are taken again
    again = [second.claim(1, lane=DELIVERY_LANE) for _ in range(3)]
    assert [runs[c[0]].receiver if c else None for c in again] == [
        "127.0.0.1",
        "127.0.0.1",
        "localhost",
    ]


def kb_runs(kb) -> list[HandlerRun]:
    with kb.db.read() as s:
        query = select(HandlerRun).where(HandlerRun.handler.not_like("webhook:%"))
        return list(s.scalars(query))


def test_disabling_a_subscription_cancels_its_waiting_deliveries(kb):
    a, _ = subscriptions.create_subscription(kb.db, name="A", url="http://127.0.0.1:9/a")
    b, _ = subscriptions.create_subscription(kb.db, name="B", url="http://localhost:9/b")
    seqs = [kb_event(kb, n) for n in range(3)]
    worker = Worker(kb.db, kb.registry)
    worker.run_kb_lane()
    assert len(delivery_runs(kb, a)) == len(delivery_runs(kb, b)) == 3

    subscriptions.deactivate_subscription(kb.db, a.id)
    assert {r.status for r in delivery_runs(kb, a)} == {"cancelled"}
    assert all(r.last_error.startswith("cancelled: Disabled by hand") for r in delivery_runs(kb, a))
    assert {r.status for r in delivery_runs(kb, b)} == {"pending"}
    subscriptions.update_subscription(kb.db, b.id, is_active=False)
    assert {r.status for r in delivery_runs(kb, b)} == {"cancelled"}
    assert subscriptions.run_counts(kb.db, b.id) == {"cancelled": 3}

    subscriptions.update_subscription(kb.db, a.id, is_active=True)  # stays cancelled
    assert worker.run_deliveries() == 0
    assert {r.status for r in delivery_runs(kb)} == {"cancelled"}
    assert {admin.get_event(kb.db, seq).status for seq in seqs} == {"done"}


def test_a_new_url_moves_waiting_deliveries_to_the_new_receiver(kb):
    sub, _ = subscriptions.create_subscription(kb.db, name="A", url="http://127.0.0.1:9/a")
    kb_event(kb)
    Worker(kb.db, kb.registry).run_kb_lane()
    subscriptions.update_subscription(kb.db, sub.id, url="http://LocalHost:9/a")
    assert [r.receiver for r in delivery_runs(kb, sub)] == ["localhost"]


def test_an_attempt_under_way_when_its_subscription_is_disabled_ends_cancelled(kb, silent):
    sub, _ = subscriptions.create_subscription(kb.db, name="A", url=silent.url)
    kb_event(kb)
    worker = Worker(kb.db, kb.registry)
    worker.run_kb_lane()
    [run_id] = worker.claim(1, lane=DELIVERY_LANE)
    outcome: list[str] = []
    attempt = threading.Thread(target=lambda: outcome.append(worker.execute(run_id)))
    attempt.start()
    until(lambda: silent.open == 1)
    subscriptions.deactivate_subscription(kb.db, sub.id)
    silent.hang_up()  # the attempt fails now; it would be retried, were it not disabled
    attempt.join(30)
    assert outcome == ["cancelled"]
    [run] = delivery_runs(kb, sub)
    assert run.status == "cancelled" and run.attempts == 1 and run.finished_at is not None
    assert "was disabled" in run.last_error


class Gone:
    """Answers every POST with 410 Gone."""

    def __init__(self) -> None:
        class Handle(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(410)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_410_cancels_the_other_waiting_deliveries(kb):
    gone = Gone()
    try:
        sub, _ = subscriptions.create_subscription(kb.db, name="A", url=gone.url)
        for n in range(3):
            kb_event(kb, n)
        worker = Worker(kb.db, kb.registry)
        worker.run_kb_lane()
        assert worker.run_deliveries() == 1  # the first attempt meets 410; no other is made
    finally:
        gone.close()
    assert [r.status for r in delivery_runs(kb, sub)] == ["dead", "cancelled", "cancelled"]
    assert not subscriptions.get_subscription(kb.db, sub.id).is_active


def test_concurrent_claims_never_exceed_the_cap(kb):
    for i in range(10):  # ten subscriptions to one host: ten waiting deliveries
        subscriptions.create_subscription(kb.db, name=f"d{i}", url=f"http://127.0.0.1:{9 + i}/h")
    kb_event(kb)
    Worker(kb.db, kb.registry).run_kb_lane()
    workers = [Worker(kb.db, kb.registry, name=f"w{i}", receiver_cap=2) for i in range(8)]
    start = threading.Barrier(len(workers))
    claimed: list[int] = []

    def claim(worker: Worker) -> None:
        start.wait()
        claimed.extend(worker.claim(1, lane=DELIVERY_LANE))

    threads = [threading.Thread(target=claim, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(claimed) == 2
    assert sorted(r.status for r in delivery_runs(kb)) == ["pending"] * 8 + ["running"] * 2


def test_an_attempt_takes_the_timeout_in_all_even_from_a_trickling_receiver(kb, config, silent):
    silent.trickle = True  # every wait is short, the answer never ends
    sub, _ = subscriptions.create_subscription(kb.db, name="A", url=silent.url)
    kb_event(kb)
    registry = Registry()
    webhooks.register(registry, replace(config, WEBHOOK_TIMEOUT=1.0), subscriber_rules(kb.db))
    worker = Worker(kb.db, registry)
    worker.run_kb_lane()
    started = time.monotonic()
    assert worker.run_deliveries() == 1
    assert time.monotonic() - started < 5  # 1 s, and a loaded machine's margin
    [run] = delivery_runs(kb, sub)
    assert run.status == "pending" and "no answer within 1 s" in run.last_error


def test_e_mail_runs_in_the_delivery_lane_counted_by_its_server(kb, config):
    registry = build_registry(replace(config, SMTP_HOST="127.0.0.1"), kb.db)
    mail = registry.resolve("notifications.mail")
    assert mail.lane == DELIVERY_LANE and mail.receiver(None, mail.name) == "127.0.0.1"
    assert registry.resolve("webhook:7").lane == DELIVERY_LANE
    assert {h.lane for h in registry.handlers.values() if not h.is_prefix} - {mail.lane} == {
        KB_LANE
    }
