"""POST /api/events: the three content modes, deduplication, batches and what is stored."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from cloudevents.core.bindings.http import to_binary_event, to_structured_event
from cloudevents.core.v1.event import CloudEvent

from tests.events.ingest import BATCH, assert_error, count, stored


def sdk_event(ingest_examples, **attributes) -> CloudEvent:
    attrs = {
        "id": "sdk-1",
        "source": "urn:pmo:jira:acme",
        "type": "org.pmo.project.closed",
        "subject": "projects/ATLAS",
        "datacontenttype": "application/json",
        "partitionkey": "ATLAS",
    }
    attrs.update(attributes)
    return CloudEvent(attributes=attrs, data=ingest_examples["project.closed"])


def send_message(client, message, ingest_producer, ingest_sign):
    headers = dict(message.headers) | ingest_sign(ingest_producer.secret, message.body)
    return client.post("/api/events", data=message.body, headers=headers)


def test_binary_mode_from_the_sdk(kb, client, ingest_producer, ingest_sign, ingest_examples):
    message = to_binary_event(sdk_event(ingest_examples, subject="projects/ATLAS ü"))
    assert message.headers["ce-subject"] == "projects/ATLAS%20%C3%BC"  # percent-encoded
    response = send_message(client, message, ingest_producer, ingest_sign)
    assert response.status_code == 202, response.json
    assert response.json == {
        "accepted": [
            {
                "id": "sdk-1",
                "source": "urn:pmo:jira:acme",
                "seq": 1,
                "duplicate": False,
                "ignored": False,
            }
        ]
    }
    (event,) = stored(kb)
    assert event.subject == "projects/ATLAS ü"
    assert event.data == ingest_examples["project.closed"]
    assert event.attributes["partitionkey"] == "ATLAS"
    assert event.attributes["datacontenttype"] == "application/json"
    assert event.partition_key == "ATLAS" and not event.is_ignored
    assert event.producer_id is not None and event.time is not None


def test_structured_mode_from_the_sdk(kb, client, ingest_producer, ingest_sign, ingest_examples):
    message = to_structured_event(sdk_event(ingest_examples, id="sdk-2"))
    assert message.headers["content-type"] == "application/cloudevents+json"
    response = send_message(client, message, ingest_producer, ingest_sign)
    assert response.status_code == 202, response.json
    (event,) = stored(kb)
    assert event.event_id == "sdk-2" and event.type == "org.pmo.project.closed"
    assert event.data["closureType"] == "completed"


def test_binary_mode_without_content_type_reads_json(client, ingest_post, ingest_examples):
    headers = {
        "ce-id": "b-1",
        "ce-source": "urn:pmo:jira:acme",
        "ce-type": "org.pmo.process.changed",
        "ce-specversion": "1.0",
    }
    response = ingest_post(ingest_examples["process.changed"], None, headers=headers)
    assert response.status_code == 202, response.json


def test_binary_mode_text_and_empty_data(kb, ingest_post):
    headers = {"ce-source": "urn:x", "ce-type": "com.example.note", "ce-specversion": "1.0"}
    text = ingest_post(
        b"plain words", "text/plain; charset=utf-8", headers=headers | {"ce-id": "t"}
    )
    assert text.status_code == 202 and text.json["accepted"][0]["ignored"] is True
    empty = ingest_post(b"", "application/json", headers=headers | {"ce-id": "e"})
    assert empty.status_code == 202
    octets = ingest_post(b"\xff\x00", "application/octet-stream", headers=headers | {"ce-id": "o"})
    assert octets.status_code == 202
    t, e, o = stored(kb)
    assert t.data == "plain words" and e.data is None
    assert o.data is None and o.attributes["data_base64"] == "/wA="


def test_whole_event_as_application_json_is_explained(ingest_post, ingest_event):
    message = assert_error(ingest_post(ingest_event(), "application/json"), 400, "invalid_event")
    assert "No ce- headers" in message and "application/cloudevents+json" in message


def test_content_type_parameters_and_case_are_ignored(ingest_post, ingest_event):
    response = ingest_post(ingest_event(), "Application/CloudEvents+JSON; charset=UTF-8")
    assert response.status_code == 202, response.json


def test_duplicates_are_stored_once(kb, ingest_post, ingest_event):
    event = ingest_event()
    first = ingest_post(event).json["accepted"][0]
    again = ingest_post(event).json["accepted"][0]
    assert first["duplicate"] is False and again["duplicate"] is True
    assert again["seq"] == first["seq"]
    twice = ingest_post([event, ingest_event(id="other"), event], BATCH).json["accepted"]
    assert [a["duplicate"] for a in twice] == [True, False, True]
    assert twice[0]["seq"] == twice[2]["seq"] == first["seq"]
    inner = ingest_event(id="inner")
    within = ingest_post([inner, inner], BATCH).json["accepted"]
    assert [a["duplicate"] for a in within] == [False, True]
    assert within[0]["seq"] == within[1]["seq"]
    assert count(kb) == 3
    # same id from another source is another event
    assert (
        ingest_post(dict(event, source="urn:pmo:ado:acme")).json["accepted"][0]["duplicate"]
        is False
    )


def test_batch_keeps_order_and_all_or_nothing(kb, ingest_post, ingest_event):
    events = [ingest_event(id=f"b{i}") for i in range(5)]
    accepted = ingest_post(events, BATCH).json["accepted"]
    assert [a["id"] for a in accepted] == [f"b{i}" for i in range(5)]
    assert [a["seq"] for a in accepted] == sorted(a["seq"] for a in accepted)
    bad = [
        ingest_event(id="ok-1"),
        ingest_event(id="ok-2"),
        ingest_event(id="ok-3"),
        ingest_event(),
    ]
    del bad[3]["data"]["project"]["projectId"]
    message = assert_error(ingest_post(bad, BATCH), 400, "invalid_event")
    assert message == "event 3: data.project.projectId is required"
    assert count(kb) == 5


def test_empty_batch(ingest_post):
    response = ingest_post([], BATCH)
    assert response.status_code == 202 and response.json == {"accepted": []}


def test_batch_of_500(kb, ingest_post, ingest_event):
    events = [ingest_event("process.changed", id=f"p{i}") for i in range(500)]
    response = ingest_post(events, BATCH)
    assert response.status_code == 202
    assert len(response.json["accepted"]) == 500 and count(kb) == 500
    assert not any(a["duplicate"] for a in response.json["accepted"])


def test_unknown_types_are_stored_and_ignored(kb, ingest_post, ingest_event):
    for kind in ("org.pmo.project.exploded", "com.example.ticket.created", "org.pmo.project"):
        response = ingest_post(ingest_event(type=kind, id=kind))
        assert response.status_code == 202
        assert response.json["accepted"][0]["ignored"] is True
    assert all(e.is_ignored for e in stored(kb))


def test_kb_own_events_cannot_be_sent(ingest_post, ingest_event):
    message = assert_error(ingest_post(ingest_event(type="org.pmo.kb.lesson.published")), 400)
    assert "kb's own" in message
    assert_error(ingest_post(ingest_event(source="urn:pmo:kb")), 400, "invalid_event")


def test_type_prefix_is_configurable(app, kb, ingest_post, ingest_event):
    app.config["KB_EVENT_TYPE_PREFIX"] = "com.acme.pmo"
    ingest_post(ingest_event(type="com.acme.pmo.project.closed", id="a"))
    ingest_post(ingest_event(type="org.pmo.project.closed", id="b"))
    assert [e.is_ignored for e in stored(kb)] == [False, True]
    bad = ingest_event(type="com.acme.pmo.project.closed", id="c")
    bad["data"]["closureType"] = "done"
    assert_error(ingest_post(bad), 400)


def test_extension_attributes_and_partition_key(kb, ingest_post, ingest_event):
    ingest_post(ingest_event(id="x1", partitionkey="atlas-2", priority=3, urgent=True))
    ingest_post(ingest_event(id="x2"))  # partition from data.project.projectId
    event = ingest_event("process.changed", id="x3")
    ingest_post(event)
    ingest_post(ingest_event(id="x4", dataschema="urn:pmo:schema:project.closed:1"))
    x1, x2, x3, x4 = stored(kb)
    assert x1.attributes == {
        "datacontenttype": "application/json",
        "partitionkey": "atlas-2",
        "priority": 3,
        "urgent": True,
    }
    assert x1.partition_key == "atlas-2" and x2.partition_key == "ATLAS"
    assert x3.partition_key is None
    assert x4.attributes["dataschema"] == "urn:pmo:schema:project.closed:1"


def test_time_is_parsed_or_defaults_to_reception(kb, ingest_post, ingest_event):
    ingest_post(ingest_event(id="t1", time="2025-06-30T19:00:00.123456789+02:00"))
    ingest_post(ingest_event(id="t2", time=None))
    t1, t2 = stored(kb)
    assert t1.time.replace(tzinfo=None).isoformat() == "2025-06-30T17:00:00.123456"
    assert t2.time is not None


def test_structured_mode_ignores_ce_headers(kb, ingest_post, ingest_event):
    response = ingest_post(ingest_event(id="body-id"), headers={"ce-id": "header-id"})
    assert response.json["accepted"][0]["id"] == "body-id"


def test_huge_numbers_in_data_are_stored(kb, ingest_post, ingest_event):
    event = ingest_event("com.example.big", data={"n": 10**300, "f": 1.5e300, "neg": -(2**70)})
    assert ingest_post(event).status_code == 202
    assert stored(kb)[0].data == {"n": 10**300, "f": 1.5e300, "neg": -(2**70)}


def test_unicode_is_kept(kb, ingest_post, ingest_event):
    event = ingest_event("project.created", subject="projets/ÉTÉ")
    event["data"]["project"]["name"] = "Déploiement ERP 日本 🚀"
    assert ingest_post(event).status_code == 202
    (e,) = stored(kb)
    assert e.subject == "projets/ÉTÉ" and e.data["project"]["name"] == "Déploiement ERP 日本 🚀"


def test_post_is_in_the_openapi_document(client):
    spec = client.get("/api/openapi.json").json["paths"]["/api/events"]
    assert {"202", "400", "401", "413", "415"} <= set(spec["post"]["responses"])


def test_concurrent_redeliveries_store_each_event_once(app, kb, ingest_producer, ingest_event):
    events = [ingest_event("process.changed", id=f"c{i}") for i in range(100)]
    body = json.dumps(events).encode()
    headers = {"Content-Type": BATCH, "Authorization": f"Bearer {ingest_producer.token}"}

    def deliver(_):
        response = app.test_client().post("/api/events", data=body, headers=headers)
        assert response.status_code == 202
        return [(a["seq"], a["duplicate"]) for a in response.json["accepted"]]

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(deliver, range(8)))
    assert count(kb) == 100
    assert all([seq for seq, _ in a] == [seq for seq, _ in answers[0]] for a in answers)
    assert sum(not dup for a in answers for _, dup in a) == 100  # each new exactly once
