"""POST /api/events: malformed input, unsupported content types and size limits."""

from __future__ import annotations

import json

import pytest
from werkzeug.test import EnvironBuilder

from tests.events.ingest import BATCH, assert_error, count


@pytest.mark.parametrize("name", ["id", "source", "specversion", "type"])
def test_each_required_attribute(ingest_post, ingest_event, name):
    message = assert_error(ingest_post(ingest_event(**{name: None})), 400, "invalid_event")
    assert f"`{name}`" in message and "missing" in message
    message = assert_error(ingest_post(ingest_event(**{name: ""})), 400)
    assert f"`{name}`" in message
    headers = {"ce-id": "1", "ce-source": "urn:x", "ce-type": "x.y", "ce-specversion": "1.0"}
    del headers[f"ce-{name}"]
    message = assert_error(ingest_post({"a": 1}, "application/json", headers=headers), 400)
    assert f"ce-{name}" in message


def test_required_attributes_come_first(ingest_post, ingest_event):
    event = ingest_event(id=None, BadName="x", time="yesterday")
    assert "`id`" in assert_error(ingest_post(event), 400)


@pytest.mark.parametrize(
    ("attributes", "words"),
    [
        ({"specversion": "0.3"}, 'specversion must be "1.0" (got "0.3")'),
        ({"specversion": 1.0}, 'specversion must be "1.0"'),
        ({"time": "2025-06-30 17:00"}, "time must be an RFC 3339 timestamp"),
        ({"time": "2025-02-30T17:00:00Z"}, "time must be an RFC 3339"),
        ({"time": "2025-06-30T17:00:00"}, "time must be an RFC 3339"),
        ({"time": 1735689600}, "`time` must be a string"),
        ({"id": 17}, "`id` must be a string, not a number"),
        ({"id": "x" * 201}, "`id` is 201 characters long"),
        ({"source": "urn:pmo:jira acme"}, "URI-reference"),
        ({"subject": ""}, "`subject` must not be empty"),
        ({"datacontenttype": "json"}, "datacontenttype must be a media type"),
        ({"dataschema": "schema-v1"}, "dataschema must be an absolute URI"),
        ({"Partition_Key": "x"}, 'the attribute name "Partition_Key" is invalid'),
        ({"averyveryverylongname1": "x"}, "is invalid"),
        ({"priority": 2.5}, "must be a string, a boolean or a 32-bit integer"),
        ({"priority": 2**31}, "32-bit integer"),
        ({"priority": {"a": 1}}, "not an object"),
        ({"subject": "bad\x00nul"}, "control character"),
        ({"partitionkey": "p" * 65}, "at most 64"),
        ({"data_base64": "AAAA"}, "`data` or `data_base64`"),
    ],
)
def test_invalid_attributes(ingest_post, ingest_event, attributes, words):
    message = assert_error(ingest_post(ingest_event(**attributes)), 400, "invalid_event")
    assert words in message


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'{"specversion": "1.0", "id": ', "is not valid JSON"),
        (b"\xff\xfe{}", "not valid UTF-8"),
        (b'{"a": "\xc3\x28"}', "not valid UTF-8"),
        (b"\xef\xbb\xbf{}", "not valid JSON"),  # a BOM
        (b'{"data": NaN}', "not acceptable JSON"),
        (b'{"data": 1e999}', "not acceptable JSON"),
        (b'{"data": ' + b"9" * 5000 + b"}", "not acceptable JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not acceptable JSON"),
        (b'"just a string"', "not a string"),
        (b"[]", "not an array"),
        (b"null", "not null"),
    ],
)
def test_malformed_structured_bodies(ingest_post, body, words):
    assert words in assert_error(ingest_post(body, auth="token"), 400, "invalid_event")


def test_malformed_batches_and_data(ingest_post, ingest_event):
    assert "JSON array" in assert_error(ingest_post({"a": 1}, BATCH), 400)
    assert "event 1: an event is a JSON object" in assert_error(
        ingest_post([ingest_event(), 5], BATCH), 400
    )
    deep = ingest_event("com.x.y")
    for _ in range(40):
        deep["data"] = {"d": deep["data"]}
    assert "nested" in assert_error(ingest_post(deep), 400)
    assert "NUL" in assert_error(ingest_post(ingest_event(data={"a": "x\u0000y"})), 400)
    surrogate = json.dumps(ingest_event("com.x.y")).replace('"anything"', '"\\ud800"')
    assert "surrogate" in assert_error(ingest_post(surrogate.encode()), 400)
    binary = {"ce-id": "1", "ce-source": "urn:x", "ce-type": "x.y", "ce-specversion": "1.0"}
    assert "data (the body)" in assert_error(
        ingest_post(b"{oops", "application/json", headers=binary), 400
    )
    assert "UTF-8" in assert_error(
        ingest_post(b"\xff", "text/plain", headers=binary, auth="token"), 400
    )
    bad_header = binary | {"ce-subject": "%FF%FE"}
    assert "percent-decoded" in assert_error(
        ingest_post(b"{}", "application/json", headers=bad_header), 400
    )
    assert "base64" in assert_error(ingest_post(ingest_event(data=None, data_base64="%%%")), 400)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/cloudevents+xml", None],
)
def test_other_content_types_are_415(kb, ingest_post, content_type):
    message = assert_error(ingest_post(b"hello", content_type), 415, "unsupported_media_type")
    assert "application/cloudevents+json" in message or "JSON event format" in message
    assert count(kb) == 0


def test_bodies_over_256_kib_are_413(kb, client, ingest_post, ingest_event, ingest_producer):
    event = ingest_event("com.example.big", data={"blob": "x" * (300 * 1024)})
    assert_error(ingest_post(event), 413, "too_large")

    # no Content-Length (chunked): counted while reading
    def chunked(body: bytes):
        environ = EnvironBuilder(
            path="/api/events",
            method="POST",
            data=body,
            headers={"Content-Type": BATCH, "Authorization": f"Bearer {ingest_producer.token}"},
        ).get_environ()
        del environ["CONTENT_LENGTH"]
        environ["wsgi.input_terminated"] = True
        return client.open(environ)

    assert_error(chunked(b"[" + b" " * (300 * 1024) + b"]"), 413, "too_large")
    assert count(kb) == 0
    fits = chunked(b"[" + b" " * (250 * 1024) + json.dumps(ingest_event()).encode() + b"]")
    assert fits.status_code == 202 and count(kb) == 1


def test_events_over_64_kib_are_413(kb, ingest_post, ingest_event):
    small = ingest_event("com.example.big", id="s", data={"blob": "x" * (63 * 1024)})
    assert ingest_post(small).status_code == 202
    big = ingest_event("com.example.big", id="b", data={"blob": "é" * (33 * 1024)})  # 66 KiB
    message = assert_error(ingest_post(big), 413, "event_too_large")
    assert "64 KiB" in message
    batch = [ingest_event(id="ok"), big]
    assert assert_error(ingest_post(batch, BATCH), 413).startswith("event 1: ")
    assert count(kb) == 1
