"""The test event ("Send a test event" on a subscription's page, POST
/api/subscriptions/<id>/test) and the next retry time of a failing delivery, against a real
HTTP receiver: the event reaches that subscription only, signed like any other, and its
result is in the delivery log."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kb.events.jobs.worker import Worker
from kb.events.webhooks import delivery as webhooks
from kb.events.webhooks import ping, subscriptions
from tests.events.test_webhooks import Receiver, verified, webhook_runs


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def page(response) -> str:
    return response.get_data(as_text=True)


def test_a_test_event_reaches_that_subscription_only_signed(client, kb, receiver, assert_inert):
    narrow, secret = subscriptions.create_subscription(
        kb.db, name="Chat", url=receiver.url, types=["org.pmo.kb.review.opened"], owner="ada"
    )
    other, _ = subscriptions.create_subscription(kb.db, name="BI", url=receiver.url, owner="ada")
    detail = client.get(f"/admin/subscriptions/{narrow.id}")
    assert "Send a test event" in page(detail)
    sent = client.post(f"/admin/subscriptions/{narrow.id}/test")
    assert sent.status_code == 303
    Worker(kb.db, kb.registry, name="test").run_pending()

    [request] = receiver.requests  # not to `other`, though it takes every kb event
    body = verified(request, secret)  # the normal Standard Webhooks signature
    assert body["type"] == ping.TEST_TYPE == "org.pmo.kb.webhook.tested"
    assert body["subject"] == f"subscriptions/{narrow.id}"
    assert body["data"]["subscription"] == narrow.id and body["data"]["sent_by"] == "ada"
    assert request["headers"]["webhook-id"] == body["id"]
    assert webhook_runs(kb, other) == []
    [delivery] = subscriptions.list_deliveries(kb.db, narrow.id)
    assert (
        delivery.ok and delivery.event_type == ping.TEST_TYPE and delivery.next_attempt_at is None
    )

    html = page(client.get(f"/admin/subscriptions/{narrow.id}"))
    assert_inert(html)
    assert "org.pmo.kb.webhook.tested" in html and "delivered" in html


def test_a_failing_delivery_shows_when_it_is_tried_again(client, kb, receiver, clock):
    receiver.status = 503
    sub, _ = subscriptions.create_subscription(kb.db, name="Chat", url=receiver.url)
    answer = client.post(f"/api/subscriptions/{sub.id}/test")
    assert answer.status_code == 202 and answer.get_json()["type"] == ping.TEST_TYPE
    worker = Worker(kb.db, kb.registry, name="test", clock=clock)
    worker.run_pending()

    [failed] = subscriptions.list_deliveries(kb.db, sub.id)
    assert failed.status_code == 503 and failed.run_status == "pending"
    delay = failed.next_attempt_at - clock.now  # the first delay of the schedule, ±10 %
    assert timedelta(seconds=webhooks.SCHEDULE[0] * 0.89) <= delay
    assert delay <= timedelta(seconds=webhooks.SCHEDULE[0] * 1.11)
    [listed] = client.get(f"/api/subscriptions/{sub.id}/deliveries").get_json()["deliveries"]
    assert listed["next_attempt_at"] == failed.next_attempt_at.isoformat()
    html = page(client.get(f"/admin/subscriptions/{sub.id}"))
    assert "Next retry (UTC)" in html and "next try" in html
    assert failed.next_attempt_at.isoformat() in html

    clock.advance(webhooks.SCHEDULE[0] * 1.2)
    worker.run_pending()  # fails again: the retry time is on the newest attempt only
    second, first = subscriptions.list_deliveries(kb.db, sub.id)
    assert first.next_attempt_at is None
    assert second.next_attempt_at - clock.now >= timedelta(seconds=webhooks.SCHEDULE[1] * 0.89)

    receiver.status = 204
    clock.advance(webhooks.SCHEDULE[1] * 1.2)
    worker.run_pending()
    assert len(receiver.requests) == 3
    third, *older = subscriptions.list_deliveries(kb.db, sub.id)
    assert third.ok and third.run_status == "done"  # the retry, newest first
    assert [d.next_attempt_at for d in (third, *older)] == [None, None, None]
    assert "Next retry" not in page(client.get(f"/admin/subscriptions/{sub.id}"))
    listed = client.get(f"/api/subscriptions/{sub.id}/deliveries").get_json()["deliveries"]
    assert [d["next_attempt_at"] for d in listed] == [None, None, None]


def test_a_disabled_or_unknown_subscription_gets_no_test_event(client, kb, receiver):
    sub, _ = subscriptions.create_subscription(kb.db, name="Chat", url=receiver.url)
    subscriptions.deactivate_subscription(kb.db, sub.id)
    refused = client.post(f"/admin/subscriptions/{sub.id}/test")
    assert refused.status_code == 409
    assert "disabled: activate it first" in page(refused)
    api = client.post(f"/api/subscriptions/{sub.id}/test")
    assert api.status_code == 409 and "activate it first" in api.get_json()["error"]["message"]
    assert client.post("/admin/subscriptions/999/test").status_code == 404
    assert client.post("/api/subscriptions/999/test").status_code == 404
    Worker(kb.db, kb.registry, name="test").run_pending()
    assert receiver.requests == []


def test_only_admins_send_test_events(login_as, kb, receiver):
    sub, _ = subscriptions.create_subscription(kb.db, name="Chat", url=receiver.url)
    curator = login_as("curator")
    assert curator.post(f"/admin/subscriptions/{sub.id}/test").status_code == 403
    assert curator.post(f"/api/subscriptions/{sub.id}/test").status_code == 403
