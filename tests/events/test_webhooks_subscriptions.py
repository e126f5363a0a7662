"""Subscriptions on the real databases: validation, secrets, the fan-out, the delivery log."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from kb.context import subscriber_rules
from kb.core.errors import NotFound, ValidationError
from kb.core.time import utcnow
from kb.events import signing
from kb.events.jobs.models import HandlerRun
from kb.events.kinds import of_type
from kb.events.kinds.examples import example
from kb.events.log.models import Event
from kb.events.log.services import append_event, lock_log
from kb.events.webhooks import delivery as webhooks
from kb.events.webhooks import subscriptions
from kb.events.webhooks.models import DeliveryAttempt


def kb_event(kb, name: str) -> Event:
    with kb.db.write() as s:
        return append_event(s, example(of_type(name)))


def inbound_event(kb, type_: str = "org.pmo.kb.lesson.published", *, ignored=False) -> Event:
    """An event a project tool sent (another source), even one using a kb-looking type."""
    with kb.db.write() as s:
        lock_log(s)
        event = Event(
            source="urn:pmo:jira:acme",
            event_id=str(uuid.uuid4()),
            type=type_,
            time=utcnow(),
            data={},
            is_ignored=ignored,
        )
        s.add(event)
    return event


def fanned(kb, event: Event) -> list[str]:
    with kb.db.read() as s:
        return webhooks.fanout(s, event, rules=subscriber_rules(kb.db))


# --- secrets and signatures ------------------------------------------------------------------


def test_secrets_are_whsec_base64_of_enough_random_bytes():
    secrets = {signing.new_secret() for _ in range(20)}
    assert len(secrets) == 20
    for secret in secrets:
        assert secret.startswith("whsec_")
        assert 24 <= len(base64.b64decode(secret.removeprefix("whsec_"))) <= 64


def test_signatures_verify_with_the_standardwebhooks_package():
    secret, body = signing.new_secret(), '{"a":"é"}'.encode()
    now = int(datetime.now(UTC).timestamp())
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(now),
        "webhook-signature": signing.sign(secret, "msg_1", now, body),
    }
    assert Webhook(secret).verify(body, headers) == {"a": "é"}
    assert headers["webhook-signature"] == Webhook(secret).sign(
        "msg_1", datetime.fromtimestamp(now, UTC), body.decode()
    )


def test_a_malformed_secret_is_refused():
    for bad in ("whsec_", "whsec_not base64!"):
        with pytest.raises(ValueError, match="secret"):
            signing.secret_key(bad)


# --- create, validate, update ----------------------------------------------------------------


def test_create_returns_the_secret_once_and_stores_the_subscription(kb):
    sub, secret = subscriptions.create_subscription(
        kb.db,
        name="  BI   warehouse ",
        url=" https://bi.example.org/hooks/kb ",
        types=["org.pmo.kb.lesson.*", "org.pmo.kb.lesson.*", "org.pmo.kb.review.opened"],
    )
    assert secret.startswith("whsec_")
    stored = subscriptions.get_subscription(kb.db, sub.id)
    assert stored.name == "BI warehouse" and stored.url == "https://bi.example.org/hooks/kb"
    assert stored.types == ["org.pmo.kb.lesson.*", "org.pmo.kb.review.opened"]
    assert stored.is_active and stored.secret == secret
    assert [s.id for s in subscriptions.list_subscriptions(kb.db)] == [sub.id]
    assert subscriptions.get_subscription(kb.db, sub.id + 1000) is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/x", "must start with https:// or http://"),
        ("javascript:alert(1)", "must start with https:// or http://"),
        ("example.org/hook", "must start with https:// or http://"),
        ("https://user:pw@example.org/hook", "user name or password"),
        ("https://token@example.org/hook", "user name or password"),
        ("https:///no-host", "no host"),
        ("https://example.org:99999/x", "invalid port"),
        ("https://example.org/a b", "spaces"),
        ("https://example.org/" + "x" * 500, "500 characters"),
        ("", "Give the URL"),
    ],
)
def test_bad_urls_are_refused_with_a_clear_message(kb, url, message):
    with pytest.raises(ValidationError, match=message) as caught:
        subscriptions.create_subscription(kb.db, name="x", url=url)
    assert caught.value.field == "url"
    assert subscriptions.list_subscriptions(kb.db) == []


@pytest.mark.parametrize(
    ("types", "message"),
    [
        ("org.pmo.kb.*", "must be a list"),
        ([""], "may not be empty"),
        ([42], "may not be empty"),
        (["org.pmo.kb." + "x" * 200], "at most 200 characters"),
        (["org.pmo.kb.lesson created"], "no spaces"),
        ([f"org.pmo.kb.t{i}" for i in range(51)], "At most 50"),
        (["org.pmo.project.closed"], "can never match"),
        (["org.pmo.project.*"], "can never match"),
    ],
)
def test_bad_type_patterns_are_refused(kb, types, message):
    with pytest.raises(ValidationError, match=message):
        subscriptions.create_subscription(kb.db, name="x", url="https://a.example/", types=types)


def test_names_are_required_and_short(kb):
    for name in ("", "   ", None, "x" * 81):
        with pytest.raises(ValidationError) as caught:
            subscriptions.create_subscription(kb.db, name=name, url="https://a.example/")
        assert caught.value.field == "name"


def test_update_changes_only_what_is_given(kb):
    sub, secret = subscriptions.create_subscription(
        kb.db, name="BI", url="https://a.example/", types=["org.pmo.kb.lesson.*"]
    )
    subscriptions.update_subscription(kb.db, sub.id, url="http://b.example:8080/in")
    after = subscriptions.get_subscription(kb.db, sub.id)
    assert (after.name, after.url, after.types, after.secret) == (
        "BI",
        "http://b.example:8080/in",
        ["org.pmo.kb.lesson.*"],
        secret,
    )
    subscriptions.update_subscription(kb.db, sub.id, types=[])
    assert subscriptions.get_subscription(kb.db, sub.id).types == []
    with pytest.raises(ValidationError):
        subscriptions.update_subscription(kb.db, sub.id, url="ftp://b.example/")
    with pytest.raises(ValidationError):
        subscriptions.update_subscription(kb.db, sub.id, is_active="yes")
    with pytest.raises(NotFound):
        subscriptions.update_subscription(kb.db, sub.id + 1000, name="x")


def test_deactivate_and_activate_again(kb):
    sub, _ = subscriptions.create_subscription(kb.db, name="BI", url="https://a.example/")
    off = subscriptions.deactivate_subscription(kb.db, sub.id)
    assert not off.is_active and off.disabled_reason.startswith("Disabled by hand at ")
    on = subscriptions.update_subscription(kb.db, sub.id, is_active=True)
    assert on.is_active and on.disabled_reason is None
    with pytest.raises(NotFound):
        subscriptions.deactivate_subscription(kb.db, sub.id + 1000)
    with pytest.raises(NotFound):
        subscriptions.rotate_secret(kb.db, sub.id + 1000)


# --- fan-out ---------------------------------------------------------------------------------


def test_fanout_matches_type_patterns(kb):
    everything, _ = subscriptions.create_subscription(kb.db, name="all", url="https://a.example/")
    lessons, _ = subscriptions.create_subscription(
        kb.db, name="lessons", url="https://b.example/", types=["org.pmo.kb.lesson.*"]
    )
    reviews, _ = subscriptions.create_subscription(
        kb.db,
        name="reviews",
        url="https://c.example/",
        types=["org.pmo.kb.review.opened", "org.pmo.kb.review.overdue"],
    )
    assert fanned(kb, kb_event(kb, "lesson.published")) == [
        f"webhook:{everything.id}",
        f"webhook:{lessons.id}",
    ]
    assert fanned(kb, kb_event(kb, "review.overdue")) == [
        f"webhook:{everything.id}",
        f"webhook:{reviews.id}",
    ]
    assert fanned(kb, kb_event(kb, "review.completed")) == [f"webhook:{everything.id}"]
    # "lesson.*" does not match "lessons.recommended": patterns are matched exactly
    assert fanned(kb, kb_event(kb, "lessons.recommended")) == [f"webhook:{everything.id}"]


def test_fanout_skips_inactive_subscriptions_inbound_and_ignored_events(kb):
    sub, _ = subscriptions.create_subscription(kb.db, name="all", url="https://a.example/")
    off, _ = subscriptions.create_subscription(kb.db, name="off", url="https://b.example/")
    subscriptions.deactivate_subscription(kb.db, off.id)
    assert fanned(kb, kb_event(kb, "lesson.published")) == [f"webhook:{sub.id}"]
    assert fanned(kb, inbound_event(kb)) == []
    assert fanned(kb, inbound_event(kb, "org.pmo.unknown.thing", ignored=True)) == []
    own_ignored = kb_event(kb, "lesson.published")
    own_ignored.is_ignored = True
    assert fanned(kb, own_ignored) == []


def test_fanout_asks_the_visibility_rule(kb):
    sub, _ = subscriptions.create_subscription(kb.db, name="all", url="https://a.example/")
    event = kb_event(kb, "lesson.published")
    hidden = webhooks.Rules(visible=lambda e, s: False, payload=lambda e, s: e.data)
    with kb.db.read() as s:
        assert webhooks.fanout(s, event, rules=hidden) == []
    assert fanned(kb, event) == [f"webhook:{sub.id}"]


# --- the delivery log ------------------------------------------------------------------------


def test_delivery_log_is_newest_first_with_its_event(kb):
    sub, _ = subscriptions.create_subscription(kb.db, name="BI", url="https://a.example/")
    other, _ = subscriptions.create_subscription(kb.db, name="other", url="https://b.example/")
    event = kb_event(kb, "lesson.published")
    with kb.db.write() as s:
        run = HandlerRun(event_seq=event.seq, handler=f"webhook:{sub.id}", status="pending")
        s.add(run)
        s.flush()
        for code, error in (
            (500, "HTTP 500 Internal Server Error"),
            (None, "connection refused"),
            (200, None),
        ):
            s.add(
                DeliveryAttempt(
                    run_id=run.id,
                    subscription_id=sub.id,
                    event_seq=event.seq,
                    status_code=code,
                    duration_ms=12,
                    error=error,
                )
            )
            s.flush()
    log = subscriptions.list_deliveries(kb.db, sub.id)
    assert [d.status_code for d in log] == [200, None, 500]
    assert [d.ok for d in log] == [True, False, False]
    assert log[0].event_id == event.event_id and log[0].event_type == "org.pmo.kb.lesson.published"
    assert log[0].run_status == "pending" and log[0].attempted_at.tzinfo is not None
    assert [d.status_code for d in subscriptions.list_deliveries(kb.db, sub.id, limit=1)] == [200]
    assert subscriptions.list_deliveries(kb.db, other.id) == []
    last = subscriptions.last_deliveries(kb.db)
    assert set(last) == {sub.id} and last[sub.id].status_code == 200
    assert subscriptions.run_counts(kb.db, sub.id) == {"pending": 1}
