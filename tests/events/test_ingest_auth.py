"""POST /api/events: Standard Webhooks signatures and bearer tokens, one secret per producer."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from kb.events.inbound import producers
from kb.events.inbound.models import Producer
from kb.events.log.models import Event

STRUCTURED = "application/cloudevents+json"


def post(client, body: bytes, headers: dict):
    return client.post("/api/events", data=body, headers={"Content-Type": STRUCTURED} | headers)


def error_of(response, status: int, code: str) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.json["error"]["code"] == code
    return response.json["error"]["message"]


@pytest.fixture
def body(ingest_event) -> bytes:
    return json.dumps(ingest_event()).encode()


def test_signed_request_names_the_producer(kb, client, body, ingest_producer, ingest_sign):
    other = producers.create_producer(kb.db, "ado")  # several producers: each secret tried
    response = post(client, body, ingest_sign(other.secret, body))
    assert response.status_code == 202
    with kb.db.read() as s:
        event = s.scalar(select(Event))
        assert s.get(Producer, event.producer_id).name == "ado"


def test_wrong_key_and_tampered_body(client, body, ingest_producer, ingest_sign):
    stranger = producers.new_secret()
    message = error_of(post(client, body, ingest_sign(stranger, body)), 401, "signature_invalid")
    assert "does not match" in message
    headers = ingest_sign(ingest_producer.secret, body)
    tampered = body.replace(b"completed", b"cancelled")
    error_of(post(client, tampered, headers), 401, "signature_invalid")
    error_of(post(client, body, headers | {"webhook-id": "msg-2"}), 401, "signature_invalid")
    error_of(post(client, body + b" ", headers), 401, "signature_invalid")


@pytest.mark.parametrize("header", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_signature_header(client, body, ingest_producer, ingest_sign, header):
    headers = ingest_sign(ingest_producer.secret, body)
    del headers[header]
    message = error_of(post(client, body, headers), 401, "signature_missing")
    assert header in message


def test_no_credentials_at_all(client, body):
    message = error_of(post(client, body, {}), 401, "credentials_missing")
    assert "webhook-signature" in message and "Bearer" in message


@pytest.mark.parametrize("offset", [-360, 360, -86_400])
def test_stale_or_future_timestamps(client, body, ingest_producer, ingest_sign, offset):
    headers = ingest_sign(ingest_producer.secret, body, at=time.time() + offset)
    message = error_of(post(client, body, headers), 401, "signature_stale")
    assert ("future" if offset > 0 else "past") in message and "5 minutes" in message


@pytest.mark.parametrize("offset", [-240, 240])
def test_timestamps_within_five_minutes(client, body, ingest_producer, ingest_sign, offset):
    headers = ingest_sign(ingest_producer.secret, body, at=time.time() + offset)
    assert post(client, body, headers).status_code == 202


def test_several_signatures_one_valid(client, body, ingest_producer, ingest_sign):
    good = ingest_sign(ingest_producer.secret, body)
    old = ingest_sign(producers.new_secret(), body)["webhook-signature"]
    good["webhook-signature"] = f"v0,abc {old} junk v1,%%% {good['webhook-signature']}"
    assert post(client, body, good).status_code == 202


@pytest.mark.parametrize("signature", ["", "v1", "v1,", "v2,AAAA", "v1,not base64!", "v1,AAAA"])
def test_malformed_signature_lists(client, body, ingest_producer, ingest_sign, signature):
    headers = ingest_sign(ingest_producer.secret, body) | {"webhook-signature": signature}
    code = "signature_missing" if not signature else "signature_invalid"
    error_of(post(client, body, headers), 401, code)


@pytest.mark.parametrize("stamp", ["soon", "1.7e9", "-5", "99999999999999999999"])
def test_malformed_timestamps(client, body, ingest_producer, ingest_sign, stamp):
    headers = ingest_sign(ingest_producer.secret, body) | {"webhook-timestamp": stamp}
    assert post(client, body, headers).status_code == 401


def test_non_utf8_body_is_verified_as_bytes(client, ingest_producer, ingest_sign):
    raw = b'{"specversion": "1.0", "id": "\xff"}'
    response = post(client, raw, ingest_sign(ingest_producer.secret, raw))
    assert response.status_code == 400 and "UTF-8" in response.json["error"]["message"]


def test_bearer_tokens(kb, client, body, ingest_producer):
    ok = post(client, body, {"Authorization": f"Bearer {ingest_producer.token}"})
    assert ok.status_code == 202
    error_of(post(client, body, {"Authorization": "Bearer kbt_nope"}), 401, "token_invalid")
    error_of(post(client, body, {"Authorization": ingest_producer.token}), 401, "token_invalid")
    error_of(post(client, body, {"Authorization": "Basic dXNlcjpwdw=="}), 401, "token_invalid")
    with kb.db.read() as s:  # only the hash is kept
        row = s.scalar(select(Producer).where(Producer.name == "jira-acme"))
        assert ingest_producer.token not in (row.token_hash, row.secret)
        assert row.token_hash == producers.hash_token(ingest_producer.token)


def test_disabled_producer_is_refused(kb, client, body, ingest_producer, ingest_sign):
    producers.set_producer_active(kb.db, "jira-acme", False)
    bearer = {"Authorization": f"Bearer {ingest_producer.token}"}
    assert "disabled" in error_of(post(client, body, bearer), 401, "producer_disabled")
    signed = ingest_sign(ingest_producer.secret, body)
    error_of(post(client, body, signed), 401, "producer_disabled")
    producers.set_producer_active(kb.db, "jira-acme", True)
    assert post(client, body, bearer).status_code == 202


def test_rotation_replaces_secret_and_token(kb, client, body, ingest_producer, ingest_sign):
    new = producers.rotate_producer(kb.db, "jira-acme")
    assert new.secret != ingest_producer.secret and new.token != ingest_producer.token
    error_of(
        post(client, body, ingest_sign(ingest_producer.secret, body)), 401, "signature_invalid"
    )
    old_bearer = {"Authorization": f"Bearer {ingest_producer.token}"}
    error_of(post(client, body, old_bearer), 401, "token_invalid")
    assert post(client, body, ingest_sign(new.secret, body)).status_code == 202
    assert post(client, body, {"Authorization": f"Bearer {new.token}"}).status_code == 202


def test_last_used_is_recorded_at_most_once_a_minute(kb, client, ingest_event, ingest_producer):
    def last_used():
        return producers.as_utc(producers.get_producer(kb.db, "jira-acme").last_used_at)

    assert last_used() is None
    bearer = {"Authorization": f"Bearer {ingest_producer.token}"}
    post(client, json.dumps(ingest_event()).encode(), bearer)
    first = last_used()
    assert first is not None
    post(client, json.dumps(ingest_event()).encode(), bearer)
    assert last_used() == first


def test_authentication_comes_before_validation(client):
    response = post(client, b"{not json", {})
    assert response.status_code == 401


def test_default_producer_from_the_event_secret(kb, client, body, ingest_sign):
    secret = producers.new_secret()
    assert producers.ensure_default_producer(kb.db, secret) is True
    assert post(client, body, ingest_sign(secret, body)).status_code == 202
    changed = producers.new_secret()
    producers.ensure_default_producer(kb.db, changed)
    producers.ensure_default_producer(kb.db, changed)  # idempotent
    assert [p.name for p in producers.list_producers(kb.db)] == ["default"]
    error_of(post(client, body, ingest_sign(secret, body)), 401, "signature_invalid")
    assert post(client, body, ingest_sign(changed, body)).status_code == 202


@pytest.mark.parametrize(
    ("secret", "words"),
    [
        ("s3cret", "starts with whsec_"),
        ("whsec_!!!", "base64"),
        ("whsec_" + "QUJD", "24 to 64 random bytes, not 3"),
        ("whsec_" + "A" * 100, "24 to 64"),
    ],
)
def test_malformed_event_secret_is_a_clear_error(kb, secret, words):
    with pytest.raises(ValueError, match="KB_EVENT_SECRET is malformed") as info:
        producers.ensure_default_producer(kb.db, secret)
    assert words in str(info.value)


def test_secrets_without_padding_are_accepted():
    secret = producers.new_secret()
    assert producers.secret_key(secret.rstrip("=")) == producers.secret_key(secret)


def test_default_producer_waits_for_the_schema(tmp_path):
    from kb.db import Database

    db = Database(f"sqlite:///{tmp_path / 'empty.sqlite3'}")  # before `kb init`
    try:
        assert producers.ensure_default_producer(db, producers.new_secret()) is False
    finally:
        db.dispose()
