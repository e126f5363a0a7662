"""The catalogue of inbound types: schemas, plain-words messages, and docs/events.md."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from kb.events.inbound import catalogue
from kb.events.log.models import Event
from kb.projects.services import ensure_project
from tests.events.test_ingest_fuzz import mutate

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events.md"
BATCH = "application/cloudevents-batch+json"


def test_schemas_are_valid_draft_2020_12():
    assert set(catalogue.INBOUND) == {
        "project.created",
        "project.started",
        "project.stagegate.passed",
        "project.closed",
        "audit.completed",
        "process.changed",
    }
    for schema in catalogue.INBOUND.values():
        Draft202012Validator.check_schema(schema)


def test_the_quick_check_agrees_with_jsonschema(ingest_examples):
    """Seeded mutations of each type's example (and of its parts): jsonschema-rs with kb's
    formats calls valid exactly what jsonschema calls valid (it alone decides that data is
    valid; what it cannot read, such as a lone surrogate, goes to jsonschema)."""
    rng = random.Random(14)
    verdicts = {True: 0, False: 0}
    for short, example in ingest_examples.items():
        validator = catalogue._validators()[short]  # the one that words the problems

        def fast(data, short=short):
            return catalogue._known_valid(short, data)

        for n in range(1500):
            data = example
            for _ in range(1 + n % 3):
                data = mutate(rng, data)
            valid = validator.is_valid(data)
            verdicts[valid] += 1
            assert fast(data) == valid, (short, data)
        assert fast(example) and validator.is_valid(example)
    assert min(verdicts.values()) > 100  # both answers were put to the test


def test_inbound_type():
    assert catalogue.inbound_type("org.pmo.project.closed", "org.pmo") == "project.closed"
    assert catalogue.inbound_type("org.pmo.project.closed", "org.pmo.") == "project.closed"
    assert catalogue.inbound_type("com.acme.audit.completed", "com.acme") == "audit.completed"
    assert catalogue.inbound_type("org.pmo.project.exploded", "org.pmo") is None
    assert catalogue.inbound_type("org.pmox.project.closed", "org.pmo") is None
    assert catalogue.inbound_type("project.closed", "org.pmo") is None
    assert catalogue.inbound_type("org.pmo.kb.lesson.created", "org.pmo") is None


def test_project_key():
    assert catalogue.project_key({"project": {"projectId": "atlas-2"}}) == "ATLAS-2"
    assert catalogue.project_key({"project": {"projectId": "2FAST"}}) is None
    assert catalogue.project_key({"project": "ATLAS"}) is None
    assert catalogue.project_key(None) is None


def test_every_example_is_accepted_and_known(kb, ingest_post, ingest_event, ingest_examples):
    events = [ingest_event(short) for short in catalogue.INBOUND]
    events[0]["data"]["project"]["projectId"] = "atlas"  # any case
    events[1]["data"]["extraField"] = {"kept": True}  # forward compatible
    del events[4]["data"]["project"]  # optional for audits
    response = ingest_post(events, BATCH)
    assert response.status_code == 202, response.json
    assert not any(a["ignored"] for a in response.json["accepted"])
    with kb.db.read() as s:
        rows = list(s.scalars(select(Event).order_by(Event.seq)))
    assert [r.partition_key for r in rows] == ["ATLAS"] * 4 + [None, None]
    assert rows[0].data["project"]["projectId"] == "atlas"  # stored as sent
    assert rows[1].data["extraField"] == {"kept": True}


def _set(path: str, value):
    def change(data):
        *parents, last = path.split(".")
        for part in parents:
            data = data[int(part)] if part.isdigit() else data[part]
        if value is _DELETE:
            del data[int(last) if last.isdigit() else last]
        else:
            data[int(last) if last.isdigit() else last] = value

    return change


_DELETE = object()

VIOLATIONS = [
    ("project.created", "project", _DELETE, "data.project is required"),
    ("project.created", "project.projectId", _DELETE, "data.project.projectId is required"),
    (
        "project.created",
        "project.projectId",
        "1ATLAS",
        "data.project.projectId must be a project key",
    ),
    ("project.created", "project.projectId", "A", "data.project.projectId must be a project key"),
    ("project.created", "project.projectId", "A" * 33, "data.project.projectId must be"),
    ("project.created", "project.name", "", "data.project.name must not be empty"),
    (
        "project.created",
        "project.managerEmail",
        "maria",
        "data.project.managerEmail must be an e-mail address",
    ),
    (
        "project.created",
        "project.externalRefs.0.key",
        _DELETE,
        "data.project.externalRefs[0].key is required",
    ),
    (
        "project.created",
        "plannedStart",
        "2025-13-01",
        "data.plannedStart must be a date written YYYY-MM-DD",
    ),
    ("project.created", "plannedEnd", "19/12/2025", "data.plannedEnd must be a date"),
    ("project.created", "plannedEnd", 20251219, "data.plannedEnd must be a string (got 20251219)"),
    ("project.created", "tags", "erp", "data.tags must be an array (got 'erp')"),
    ("project.created", "tags", [1], "data.tags[0] must be a string"),
    ("project.started", "actualStart", _DELETE, "data.actualStart is required"),
    ("project.started", "managerEmail", _DELETE, "data.managerEmail is required"),
    ("project.started", "tags", _DELETE, "data.tags is required"),
    (
        "project.stagegate.passed",
        "decision",
        "no-go",
        "data.decision must be one of go, conditional (got 'no-go')",
    ),
    ("project.stagegate.passed", "gate.sequence", "2", "data.gate.sequence must be an integer"),
    ("project.stagegate.passed", "gate.sequence", -1, "data.gate.sequence must be at least 0"),
    ("project.stagegate.passed", "gate.name", _DELETE, "data.gate.name is required"),
    (
        "project.stagegate.passed",
        "decidedAt",
        "2025-04-02",
        "data.decidedAt must be an RFC 3339 date-time",
    ),
    ("project.stagegate.passed", "nextStage", None, "data.nextStage must be a string (got null)"),
    (
        "project.closed",
        "closureType",
        "done",
        "data.closureType must be one of completed, cancelled, terminated",
    ),
    ("project.closed", "closedAt", _DELETE, "data.closedAt is required"),
    (
        "project.closed",
        "closedAt",
        "2025-12-19T25:00:00Z",
        "data.closedAt must be an RFC 3339 date-time",
    ),
    ("project.closed", "processModels", _DELETE, "data.processModels is required"),
    ("project.closed", "processModels", "PM-0007", "data.processModels must be an array"),
    (
        "project.closed",
        "processModels.1.modelId",
        _DELETE,
        "data.processModels[1].modelId is required",
    ),
    (
        "project.closed",
        "processModels.1.uri",
        "not a uri",
        "data.processModels[1].uri must be an absolute URI",
    ),
    (
        "project.closed",
        "processModels.0.version",
        True,
        "data.processModels[0].version must be a string or a number (got true)",
    ),
    ("project.closed", "managerEmail", "x@", "data.managerEmail must be an e-mail address"),
    ("audit.completed", "findings.0.severity", _DELETE, "data.findings[0].severity is required"),
    ("audit.completed", "findings", {"F1": "x"}, "data.findings must be an array (got an object)"),
    (
        "audit.completed",
        "completedAt",
        "yesterday",
        "data.completedAt must be an RFC 3339 date-time",
    ),
    ("audit.completed", "project.name", _DELETE, "data.project.name is required"),
    ("audit.completed", "auditId", 31, "data.auditId must be a string (got 31)"),
    (
        "process.changed",
        "changeType",
        "deleted",
        "data.changeType must be one of created, updated, retired",
    ),
    (
        "process.changed",
        "effectiveFrom",
        "2025-10-01T00:00:00Z",
        "data.effectiveFrom must be a date",
    ),
    ("process.changed", "summary", 42, "data.summary must be a string (got 42)"),
    ("process.changed", "changedBy", _DELETE, "data.changedBy is required"),
    (
        "process.changed",
        "version",
        ["2"],
        "data.version must be a string or a number (got an array)",
    ),
]


@pytest.mark.parametrize(
    ("short", "path", "value", "words"),
    VIOLATIONS,
    ids=[f"{v[0]}:{v[1]}" for v in VIOLATIONS],
)
def test_schema_violations_in_plain_words(ingest_examples, short, path, value, words):
    data = ingest_examples[short]
    _set(path, value)(data)
    field, message = catalogue.data_problem(short, data)
    assert message.startswith(words), message
    assert message.startswith(field)


def test_violations_over_http_name_event_and_field(kb, ingest_post, ingest_event):
    event = ingest_event("project.stagegate.passed")
    event["data"]["decision"] = "maybe"
    response = ingest_post(event)
    assert response.status_code == 400
    assert response.json["error"] == {
        "code": "invalid_event",
        "message": "data.decision must be one of go, conditional (got 'maybe')",
        "field": "data.decision",
    }
    for data in (None, [1, 2], "text"):
        response = ingest_post(ingest_event("project.closed", data=data))
        assert response.status_code == 400
        assert response.json["error"]["message"].startswith("data must be an object")
    long_value = ingest_event("project.closed")
    long_value["data"]["closureType"] = "x" * 10_000
    message = ingest_post(long_value).json["error"]["message"]
    assert len(message) < 200


def doc_events() -> list[dict]:
    blocks = re.findall(r"```json\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    return [e for e in map(json.loads, blocks) if isinstance(e, dict) and "specversion" in e]


def test_docs_document_every_inbound_type():
    text = DOCS.read_text(encoding="utf-8")
    documented = {e["type"] for e in doc_events()}
    for short in catalogue.INBOUND:
        assert f"### `org.pmo.{short}`" in text
        assert f"org.pmo.{short}" in documented
    for heading in ("## Webhooks", "## Handlers and the worker", "## Authentication"):
        assert heading in text


def test_docs_examples_are_accepted(kb, ingest_post):
    inbound = [e for e in doc_events() if e["source"] != "urn:pmo:kb"]
    response = ingest_post(inbound, BATCH)
    assert response.status_code == 202, response.json
    assert not any(a["ignored"] or a["duplicate"] for a in response.json["accepted"])


def test_docs_describe_kb_own_events_as_emitted(kb, make_lesson):
    make_lesson()
    with kb.db.write() as s:  # as an audit of a project kb did not know does
        ensure_project(s, "ORION")
    with kb.db.read() as s:
        emitted = {e.type: e for e in s.scalars(select(Event))}
    documented = {e["type"]: e for e in doc_events() if e["source"] == "urn:pmo:kb"}
    lesson = emitted["org.pmo.kb.lesson.created"]
    assert set(lesson.data) == set(documented["org.pmo.kb.lesson.created"]["data"])
    assert lesson.subject.startswith("lessons/")
    project = emitted["org.pmo.kb.project.registered"]
    assert set(project.data) <= set(documented["org.pmo.kb.project.created"]["data"])
