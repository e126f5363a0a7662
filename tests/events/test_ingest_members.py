"""POST /api/events refuses JSON that repeats a member name in one object, in every mode and
at every depth (envelope and data), naming the member and where it is; nothing is stored."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from kb.events.log.models import Event

BATCH = "application/cloudevents-batch+json"
BINARY = {
    "ce-id": "b-1",
    "ce-source": "urn:pmo:jira:acme",
    "ce-specversion": "1.0",
    "ce-type": "org.pmo.project.closed",
    "ce-subject": "projects/ATLAS",
}


def count(kb) -> int:
    with kb.db.read() as s:
        return s.scalar(select(func.count()).select_from(Event))


def twice(text: str, member: str, value: str) -> bytes:
    """The JSON object `text` with `"member": value` added in front (so the name repeats)."""
    return f'{{"{member}": {value}, {text[1:]}'.encode()


def refused(response) -> tuple[str, str]:
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.json["error"]
    assert error["code"] == "invalid_event"
    return error["message"], error.get("field")


@pytest.mark.parametrize(
    "member, value",
    [
        ("id", '"other-id"'),
        ("type", '"org.pmo.x.y"'),
        ("source", '"urn:evil"'),
        ("specversion", '"1.0"'),
    ],
)
def test_a_repeated_envelope_member_is_refused(kb, ingest_post, ingest_event, member, value):
    body = twice(json.dumps(ingest_event()), member, value)
    message, field = refused(ingest_post(body))
    assert f'the event repeats the member "{member}"' in message and field == member
    assert count(kb) == 0


def test_a_repeated_data_member_is_refused_with_its_path(kb, ingest_post, ingest_event):
    event = ingest_event()
    text = json.dumps(event).replace(
        '"projectId": "ATLAS"', '"projectId": "ATLAS", "projectId": "HARBOUR"'
    )
    message, field = refused(ingest_post(text.encode()))
    assert message.startswith('data.project repeats the member "projectId"')
    assert field == "projectId"
    findings = json.dumps(ingest_event("audit.completed")).replace(
        '"id": "F1"', '"id": "F1", "id": "F2"'
    )
    assert refused(ingest_post(findings.encode()))[0].startswith(
        'data.findings[0] repeats the member "id"'
    )
    assert count(kb) == 0


def test_a_batch_names_the_event(kb, ingest_post, ingest_event):
    good = json.dumps(ingest_event())
    bad = json.dumps(ingest_event()).replace(
        '"closureType": "completed"', '"closureType": "completed", "closureType": "cancelled"'
    )
    message, _ = refused(ingest_post(f"[{good}, {bad}]".encode(), BATCH))
    assert message.startswith('event 1: data repeats the member "closureType"')
    envelope = twice(json.dumps(ingest_event()), "id", '"x"').decode()
    message, _ = refused(ingest_post(f"[{good}, {good}, {envelope}]".encode(), BATCH))
    assert message.startswith('event 2: the event repeats the member "id"')
    assert count(kb) == 0


def test_binary_json_data_is_checked_too(kb, ingest_post, ingest_examples):
    text = json.dumps(ingest_examples["project.closed"])
    body = text.replace(
        '"closureType": "completed"', '"closureType": "completed", "closureType": "terminated"'
    )
    message, field = refused(ingest_post(body.encode(), "application/json", headers=BINARY))
    assert message.startswith('data repeats the member "closureType"') and field == "closureType"
    nested = text.replace('"name": "Atlas ERP roll-out"', '"name": "A", "name": "B"')
    message, _ = refused(ingest_post(nested.encode(), "application/json", headers=BINARY))
    assert message.startswith('data.project repeats the member "name"')
    assert count(kb) == 0


def test_the_outermost_repetition_is_named_first(ingest_post, ingest_event):
    text = json.dumps(ingest_event()).replace(
        '"projectId": "ATLAS"', '"projectId": "A", "projectId": "B"'
    )
    body = twice(text, "subject", '"projects/B"')
    assert refused(ingest_post(body))[0].startswith('the event repeats the member "subject"')


def test_the_same_name_in_different_objects_is_fine(kb, ingest_post, ingest_event):
    event = ingest_event("audit.completed")
    event["data"]["findings"].append(dict(event["data"]["findings"][0], id="F2"))
    event["data"]["project"]["id"] = "not the envelope's id"  # `id` at three levels
    assert ingest_post(event).status_code == 202
    assert count(kb) == 1
