"""Webhook delivery against a real HTTP receiver on 127.0.0.1, on the real databases:
signatures checked with the `standardwebhooks` package, every attempt logged, 410, redirects,
timeouts, and the whole path through the dispatcher and the worker."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from kb.context import subscriber_rules
from kb.documents import services as documents
from kb.events.jobs.models import HandlerRun
from kb.events.jobs.registry import Cancelled, GiveUp
from kb.events.jobs.worker import Worker
from kb.events.kinds import of_type
from kb.events.kinds.examples import example
from kb.events.log.models import Event
from kb.events.log.services import append_event
from kb.events.signing import new_secret
from kb.events.webhooks import delivery as webhooks
from kb.events.webhooks import subscriptions
from kb.events.webhooks.models import DeliveryAttempt


class Receiver:
    """A real HTTP server that records every request and answers as told."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status = 200
        self.answer = b"thanks"
        self.location: str | None = None
        self.delay = 0.0
        self.release = threading.Event()
        receiver = self

        class Handle(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                receiver.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": self.rfile.read(length),
                    }
                )
                if receiver.delay:
                    receiver.release.wait(receiver.delay)
                self.send_response(receiver.status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", str(len(receiver.answer)))
                self.end_headers()
                self.wfile.write(receiver.answer)

            do_POST = do_GET = _record  # noqa: N815

            def log_message(self, *args) -> None:  # keep the test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/kb"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def kb_event(kb, name: str = "lesson.published", **data) -> Event:
    with kb.db.write() as s:
        event = append_event(
            s,
            example(
                of_type(name),
                id="LL-2025-0001",
                project="ATLAS",
                title="Vendor spec arrived late",
                **data,
            ),
        )
    return event


def run_for(kb, event: Event, sub) -> HandlerRun:  # noqa: ANN001
    with kb.db.write() as s:
        run = HandlerRun(event_seq=event.seq, handler=f"webhook:{sub.id}", partition_key="ATLAS")
        s.add(run)
    return run


def attempts(kb, sub) -> list[DeliveryAttempt]:  # noqa: ANN001
    with kb.db.read() as s:
        query = select(DeliveryAttempt).where(DeliveryAttempt.subscription_id == sub.id)
        return list(s.scalars(query.order_by(DeliveryAttempt.id)))


def verified(request: dict, secret: str) -> dict:
    """What a receiver does: check the signature over the raw body, then parse it."""
    return Webhook(secret).verify(request["body"], request["headers"])


def test_deliver_posts_a_signed_structured_cloudevent(kb, receiver):
    sub, secret = subscriptions.create_subscription(kb.db, name="BI", url=receiver.url, types=[])
    event = kb_event(kb, reason="Ünïcode ✓")
    webhooks.deliver(
        kb.db, run_for(kb, event, sub), event, rules=subscriber_rules(kb.db), timeout=5
    )

    [request] = receiver.requests
    assert request["method"] == "POST" and request["path"] == "/hooks/kb"
    headers = request["headers"]  # names in lower case
    assert headers["content-type"] == "application/cloudevents+json"
    assert headers["user-agent"] == "kb-webhooks/1"
    assert headers["webhook-id"] == event.event_id
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    body = verified(request, secret)
    assert body["specversion"] == "1.0" and body["id"] == event.event_id
    assert body["source"] == "urn:pmo:kb" and body["type"] == "org.pmo.kb.lesson.published"
    assert body["subject"] == "lessons/LL-2025-0001" and body["partitionkey"] == "ATLAS"
    assert body["datacontenttype"] == "application/json"
    assert body["time"].endswith("Z") and body["time"][:4].isdigit()
    assert body["data"]["title"] == "Vendor spec arrived late"
    assert body["data"]["reason"] == "Ünïcode ✓"

    # A receiver holding another secret, or a tampered body, rejects it.
    with pytest.raises(Exception, match="signature"):
        Webhook(new_secret()).verify(request["body"], request["headers"])
    with pytest.raises(Exception, match="signature"):
        Webhook(secret).verify(request["body"].replace(b"late", b"LATE"), request["headers"])

    [attempt] = attempts(kb, sub)
    assert attempt.status_code == 200 and attempt.error is None and attempt.duration_ms >= 0
    assert attempt.event_seq == event.seq


def test_extension_attributes_are_delivered_and_core_ones_are_not_overridden(kb, receiver):
    sub, secret = subscriptions.create_subscription(kb.db, name="BI", url=receiver.url)
    event = kb_event(kb)
    with kb.db.write() as s:
        row = s.get(Event, event.seq)
        row.attributes = {"dataschema": "urn:pmo:schema:x:1", "traceparent": "00-ab", "id": "evil"}
        event = row
    webhooks.deliver(
        kb.db, run_for(kb, event, sub), event, rules=subscriber_rules(kb.db), timeout=5
    )
    body = verified(receiver.requests[0], secret)
    assert body["dataschema"] == "urn:pmo:schema:x:1" and body["traceparent"] == "00-ab"
    assert body["id"] == event.event_id


def test_a_500_is_a_failed_attempt_to_retry_and_is_logged(kb, receiver):
    receiver.status, receiver.answer = 500, b"database down\n" + b"x" * 100_000
    sub, _ = subscriptions.create_subscription(kb.db, name="BI", url=receiver.url)
    event = kb_event(kb)
    with pytest.raises(webhooks.DeliveryFailed, match="HTTP 500"):
        webhooks.deliver(
            kb.db, run_for(kb, event, sub), event, rules=subscriber_rules(kb.db), timeout=5
        )
    [attempt] = attempts(kb, sub)
    assert attempt.status_code == 500
    assert attempt.error.startswith("HTTP 500 Internal Server Error: database down")
    assert len(attempt.error) <= 500
    [logged] = subscriptions.list_deliveries(kb.db, sub.id)
    assert logged.event_type == "org.pmo.kb.lesson.published" and logged.event_id == event.event_id
    assert not logged.ok and logged.status_code == 500
    assert subscriptions.get_subscription(kb.db, sub.id).is_active


def test_410_gone_disables_the_subscription_and_gives_up(kb, receiver):
    receiver.status = 410
    sub, _ = subscriptions.create_subscription(kb.db, name="BI", url=receiver.url)
    event = kb_event(kb)
    with pytest.raises(GiveUp, match="410 Gone"):
        webhooks.deliver(
            kb.db, run_for(kb, event, sub), event, rules=subscriber_rules(kb.db), timeout=5
        )
    after = subscriptions.get_subscription(kb.db, sub.id)
    assert not after.is_active
    assert after.disabled_reason.startswith(f"410 Gone from {receiver.url} at ")
    assert [a.status_code for a in attempts(kb, sub)] == [410]


@pytest.mark.parametrize("status", [301, 307, 308])
def test_redirects_are_not_followed(kb, receiver, status):
    receiver.status, receiver.location = status, receiver.url + "/elsewhere"
    sub, _ = subscriptions.create_subscription(kb.db, name="BI", url=receiver.url)
    event = kb_event(kb)
    with pytest.raises(webhooks.DeliveryFailed, match="not followed"):
        webhooks.deliver(
            kb.db, run_for(kb, event, sub), event, rules=subscriber_rules(kb.db), timeout=5
        )
    assert [r["path"] for r in receiver.requests] == ["/hooks/kb"]
    [attempt] = attempts(kb, sub)
    assert attempt.status_code == status and "/elsewhere" in attempt.error


def test_a_slow_receiver_times_out(kb, receiver):
    receiver.delay = 30
    sub, _ = subscriptions.create_subscription(kb.db, name="BI", url=receiver.url)
    event = kb_event(kb)
    started = time.monotonic()
    with pytest.raises(webhooks.DeliveryFailed, match="no answer within 0.5 s"):
        webhooks.deliver(
            kb.db, run_for(kb, event, sub), event, rules=subscriber_rules(kb.db), timeout=0.5
        )
    assert time.monotonic() - started < 5
    [attempt] = attempts(kb, sub)
    assert attempt.status_code is None and attempt.duration_ms >= 400


def test_connection_refused_is_a_failed_attempt(kb):
    closed = Receiver()
    url = closed.url
    closed.close()
    sub, _ = subscriptions.create_subscription(kb.db, name="BI", url=url)
    event = kb_event(kb)
    with pytest.raises(webhooks.DeliveryFailed, match="connection refused"):
        webhooks.deliver(
            kb.db, run_for(kb, event, sub), event, rules=subscriber_rules(kb.db), timeout=5
        )
    assert attempts(kb, sub)[0].error == "connection refused"


def test_a_tls_failure_is_a_failed_attempt(kb, receiver):
    # https:// to a plain-HTTP server: the TLS handshake fails
    sub, _ = subscriptions.create_subscription(
        kb.db, name="BI", url=receiver.url.replace("http:", "https:")
    )
    event = kb_event(kb)
    with pytest.raises(webhooks.DeliveryFailed, match="TLS"):
        webhooks.deliver(
            kb.db, run_for(kb, event, sub), event, rules=subscriber_rules(kb.db), timeout=5
        )
    assert attempts(kb, sub)[0].error.startswith("TLS: ")


def test_nothing_is_sent_to_an_inactive_or_narrowed_subscription(kb, receiver):
    sub, _ = subscriptions.create_subscription(kb.db, name="BI", url=receiver.url)
    event = kb_event(kb)
    run = run_for(kb, event, sub)
    subscriptions.deactivate_subscription(kb.db, sub.id)
    with pytest.raises(Cancelled, match="disabled"):
        webhooks.deliver(kb.db, run, event, rules=subscriber_rules(kb.db), timeout=5)
    subscriptions.update_subscription(kb.db, sub.id, is_active=True, types=["org.pmo.kb.review.*"])
    webhooks.deliver(kb.db, run, event, rules=subscriber_rules(kb.db), timeout=5)
    assert receiver.requests == [] and attempts(kb, sub) == []


def test_a_rotated_secret_signs_the_next_attempt(kb, receiver):
    sub, old = subscriptions.create_subscription(kb.db, name="BI", url=receiver.url)
    _, new = subscriptions.rotate_secret(kb.db, sub.id)
    assert new != old and new.startswith("whsec_")
    event = kb_event(kb)
    webhooks.deliver(
        kb.db, run_for(kb, event, sub), event, rules=subscriber_rules(kb.db), timeout=5
    )
    assert verified(receiver.requests[0], new)["id"] == event.event_id
    with pytest.raises(Exception, match="signature"):
        verified(receiver.requests[0], old)


# --- the whole path: service -> event log -> dispatcher -> worker -> receiver ----------------


def webhook_runs(kb, sub) -> list[HandlerRun]:  # noqa: ANN001
    with kb.db.read() as s:
        query = select(HandlerRun).where(HandlerRun.handler == f"webhook:{sub.id}")
        return list(s.scalars(query.order_by(HandlerRun.id)))


def test_a_new_lesson_reaches_the_subscriber_signed(kb, receiver, lesson_md):
    sub, secret = subscriptions.create_subscription(
        kb.db, name="BI", url=receiver.url, types=["org.pmo.kb.lesson.*"]
    )
    other = Receiver()
    try:
        subscriptions.create_subscription(
            kb.db, name="Reviews", url=other.url, types=["org.pmo.kb.review.*"]
        )
        doc = documents.create_document(kb.db, lesson_md(), actor="tester", type_hint="lesson")
        Worker(kb.db, kb.registry, name="test").run_pending()
        assert other.requests == []
    finally:
        other.close()
    [request] = receiver.requests
    body = verified(request, secret)
    assert body["type"] == "org.pmo.kb.lesson.created"
    assert body["subject"] == f"lessons/{doc.id}" and body["data"]["id"] == doc.id
    assert request["headers"]["webhook-id"] == body["id"]
    assert [r.status for r in webhook_runs(kb, sub)] == ["done"]
    # Run again: nothing new is sent (each event is dispatched once).
    Worker(kb.db, kb.registry, name="test").run_pending()
    assert len(receiver.requests) == 1


def test_the_worker_retries_on_the_schedule_then_delivers(kb, receiver, lesson_md, clock):
    receiver.status = 503
    sub, secret = subscriptions.create_subscription(
        kb.db, name="BI", url=receiver.url, types=["org.pmo.kb.lesson.*"]
    )
    worker = Worker(kb.db, kb.registry, name="test", clock=clock)
    documents.create_document(kb.db, lesson_md(), actor="tester", type_hint="lesson")
    worker.run_pending()
    [run] = webhook_runs(kb, sub)
    assert run.status == "pending" and run.attempts == 1 and "HTTP 503" in run.last_error
    worker.run_pending()
    assert len(receiver.requests) == 1  # not due before the first delay (5 s)
    receiver.status = 204
    clock.advance(webhooks.SCHEDULE[0] * 1.2)
    worker.run_pending()
    [run] = webhook_runs(kb, sub)
    assert run.status == "done" and run.attempts == 2
    first, second = receiver.requests
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    assert verified(second, secret)["type"] == "org.pmo.kb.lesson.created"
    assert [d.status_code for d in subscriptions.list_deliveries(kb.db, sub.id)] == [204, 503]


def test_the_worker_dead_letters_at_once_on_410(kb, receiver, lesson_md):
    receiver.status = 410
    sub, _ = subscriptions.create_subscription(
        kb.db, name="BI", url=receiver.url, types=["org.pmo.kb.lesson.*"]
    )
    documents.create_document(kb.db, lesson_md(), actor="tester", type_hint="lesson")
    Worker(kb.db, kb.registry, name="test").run_pending()
    [run] = webhook_runs(kb, sub)
    assert run.status == "dead" and "410 Gone" in run.last_error
    assert not subscriptions.get_subscription(kb.db, sub.id).is_active
    # Later events are not fanned out to the disabled subscription at all.
    documents.create_document(kb.db, lesson_md("Another one"), actor="t", type_hint="lesson")
    Worker(kb.db, kb.registry, name="test").run_pending()
    assert len(webhook_runs(kb, sub)) == 1 and len(receiver.requests) == 1


def test_the_registered_handler_uses_the_schedule_and_the_configured_timeout(kb, config):
    handler = kb.registry.resolve("webhook:12")
    assert handler is not None and handler.is_prefix and not handler.transactional
    assert handler.schedule == (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
    assert handler.max_attempts == 10
    assert handler.fn.keywords["timeout"] == config.WEBHOOK_TIMEOUT
    assert isinstance(handler.fn.keywords["rules"], webhooks.Rules)
    assert [f.func for f in kb.registry.fanouts if getattr(f, "func", None) is webhooks.fanout]
