"""Fixtures for the ingest tests (POST /api/events). Names start with `ingest_`: the
dispatcher and webhook tests in this folder keep their own."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import itertools
import json
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from kb.events.inbound import producers

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
SOURCE = "urn:pmo:jira:acme"
PROJECT = {
    "projectId": "ATLAS",
    "name": "Atlas ERP roll-out",
    "description": "Finance and procurement on one ERP",
    "portfolio": "Digital",
    "managerEmail": "maria.lopez@example.org",
    "externalRefs": [{"system": "jira", "id": "10042", "key": "ATL"}],
}
EXAMPLES = {
    "project.created": {
        "project": PROJECT,
        "sponsor": "CFO",
        "methodology": "hybrid",
        "plannedStart": "2025-01-06",
        "plannedEnd": "2025-12-19",
        "tags": ["erp", "finance"],
    },
    "project.started": {
        "project": PROJECT,
        "actualStart": "2025-01-13",
        "managerEmail": "maria.lopez@example.org",
        "tags": ["erp"],
        "methodology": "hybrid",
    },
    "project.stagegate.passed": {
        "project": PROJECT,
        "gate": {"id": "G2", "name": "Design approved", "sequence": 2},
        "decision": "conditional",
        "decidedAt": "2025-04-02T10:30:00+02:00",
        "nextStage": "build",
    },
    "project.closed": {
        "project": PROJECT,
        "closedAt": "2025-12-19T16:00:00Z",
        "closureType": "completed",
        "outcomeSummary": "Live in 14 countries.",
        "managerEmail": "maria.lopez@example.org",
        "processModels": [
            {"modelId": "PM-0007", "name": "Vendor onboarding", "version": "2.1"},
            {"modelId": "PM-0009", "name": "Cut-over", "uri": "https://bpm.example.org/m/9"},
        ],
    },
    "audit.completed": {
        "auditId": "AUD-2025-031",
        "project": PROJECT,
        "scope": "Procurement controls",
        "completedAt": "2025-09-30T12:00:00Z",
        "findings": [
            {
                "id": "F1",
                "severity": "high",
                "title": "Vendor master changes without approval",
                "recommendation": "Enforce four-eyes approval.",
            }
        ],
    },
    "process.changed": {
        "processId": "PM-0007",
        "version": "2.2",
        "changeType": "updated",
        "effectiveFrom": "2025-10-01",
        "changedBy": "Head of Procurement",
        "summary": "Sanctions screening before the first order.",
    },
}

_ids = itertools.count(1)


@pytest.fixture
def ingest_examples() -> dict:
    """Valid data for every inbound type (a fresh copy per test)."""
    return copy.deepcopy(EXAMPLES)


@pytest.fixture
def ingest_event():
    """ingest_event("project.closed", **attributes) -> a valid structured event (dict)."""

    def make(short: str = "project.closed", **attributes) -> dict:
        event = {
            "specversion": "1.0",
            "id": f"evt-{next(_ids)}",
            "source": SOURCE,
            "type": f"org.pmo.{short}",
            "time": "2025-12-19T16:00:05Z",
            "subject": "projects/ATLAS",
            "datacontenttype": "application/json",
            "data": copy.deepcopy(EXAMPLES.get(short, {"anything": 1})),
        }
        event.update(attributes)
        return {k: v for k, v in event.items() if v is not None}

    return make


@pytest.fixture
def ingest_producer(kb) -> producers.Credentials:
    return producers.create_producer(kb.db, "jira-acme")


def sign(secret: str, body: bytes, *, msg_id: str = "msg-1", at: float | None = None) -> dict:
    """Standard Webhooks headers, made by the `standardwebhooks` package (which only signs
    text: other bytes are signed by hand, the same way)."""
    when = datetime.fromtimestamp(time.time() if at is None else at, UTC)
    stamp = str(int(when.timestamp()))
    try:
        signature = Webhook(secret).sign(msg_id, when, body.decode("utf-8"))
    except UnicodeDecodeError:
        key = base64.b64decode(secret.removeprefix("whsec_"))
        digest = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
        signature = "v1," + base64.b64encode(digest).decode()
    return {"webhook-id": msg_id, "webhook-timestamp": stamp, "webhook-signature": signature}


@pytest.fixture
def ingest_sign():
    return sign


@pytest.fixture
def ingest_post(client, ingest_producer):
    """ingest_post(body, content_type=structured, *, auth="signature"|"token"|None,
    headers=...) -> response. A body that is not bytes is sent as JSON."""

    def post(body, content_type: str | None = STRUCTURED, *, auth="signature", headers=None):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        sent = {"Content-Type": content_type} if content_type else {}
        if auth == "signature":
            sent.update(sign(ingest_producer.secret, raw))
        elif auth == "token":
            sent["Authorization"] = f"Bearer {ingest_producer.token}"
        sent.update(headers or {})
        return client.post("/api/events", data=raw, headers=sent)

    return post
