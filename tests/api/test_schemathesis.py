"""The OpenAPI document and the API agree: schemathesis generates requests from the document
for every operation, sends them to the live app (in-process WSGI) as an admin with an API
token, and checks every answer: no server error, and the status, content type and body the
document promises; data the document forbids is refused, data it allows is not.

A fixed seed (derandomize) and a bounded number of examples per operation keep it
reproducible and within its time budget, on both databases. Failures are collected rather
than raised, so Hypothesis does not spend the budget shrinking them, and reported together.
"""

from __future__ import annotations

import contextlib
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import positive_data_acceptance

from kb.accounts import services as accounts

EXAMPLES = {GenerationMode.POSITIVE: 4, GenerationMode.NEGATIVE: 3}
#: What a document may say (front matter, vocabularies, Markdown within the rendering budget)
#: is checked by kb's document schema (docs/format.md): the OpenAPI document states the shape
#: (markdown or a title) but cannot state every rule, so a schema-valid body may be a 400
#: naming the field. Every other check still runs on these operations.
CONTENT_CHECKED = {
    "POST /api/lessons",
    "POST /api/processes",
    "POST /api/guides",
    "POST /api/glossary",
    "POST /api/paths",
    "PUT /api/lessons/{doc_id}",
    "PUT /api/processes/{doc_id}",
    "PUT /api/guides/{doc_id}",
    "PUT /api/glossary/{doc_id}",
    "PUT /api/paths/{path_id}",
    "POST /api/preview",
    # whether a lesson takes an action or a move depends on its state (400)
    "POST /api/lessons/{doc_id}/actions",
    "POST /api/lessons/{doc_id}/transitions",
    # the body is a BPMN file: whether it is one is checked by kb (a 400 naming `file`)
    "POST /api/processes/bpmn",
    # whether a process model takes a step depends on its status and who asks (400)
    "POST /api/processes/{doc_id}/transitions",
}


@pytest.fixture
def token(kb, make_user) -> str:
    make_user("ada", "admin")
    return accounts.create_token(kb.db, "ada", name="schemathesis", scope="write")[1]


def _summary(exc: BaseException) -> str:
    parts = getattr(exc, "exceptions", None) or [exc]
    return "; ".join(f"{type(e).__name__}: {str(e)[:300]}" for e in parts)


def failures_of(
    operation, mode: GenerationMode, headers: dict, known: dict, tried: list
) -> list[str]:
    """Positive cases address the resources that exist (so their answers are checked against
    the document), negative ones whatever is generated."""
    found: list[str] = []
    names = re.findall(r"{([^}]+)}", operation.path)
    fixed = {n: known[n](operation.path) for n in names if n in known}
    strategy = operation.as_strategy(
        generation_mode=mode, path_parameters=fixed if mode.is_positive and fixed else None
    )
    excluded = [positive_data_acceptance] if operation.label in CONTENT_CHECKED else []

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES[mode],
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        tried.append(operation.label)
        try:
            case.call_and_validate(headers=headers, excluded_checks=excluded)
        except (AssertionError, FailureGroup) as exc:
            found.append(f"{operation.label} ({mode}): {_summary(exc)}\n  {case.as_curl_command()}")

    with contextlib.suppress(Unsatisfiable):  # nothing in it can be made invalid
        run()
    return found


def seeded(client, token: str, lesson_source) -> dict:  # noqa: ANN001
    """A lesson with an action, a process model, a subscription: something to list and fetch."""
    auth = {"Authorization": f"Bearer {token}"}

    def post(path: str, body: dict) -> dict:
        response = client.post(path, headers=auth, json=body)
        assert response.status_code == 201, (path, response.json)
        return response.json

    lesson = post("/api/lessons", {"markdown": lesson_source()})
    action = post(
        f"/api/lessons/{lesson['id']}/actions",
        {
            "description": "Add the clause to the template",
            "owner": "ada",
            "due_on": "2027-01-31",
            "target_kind": "template",
            "target_ref": "supplier contract",
        },
    )
    process = post(
        "/api/processes",
        {
            "title": "Supplier invoice approval",
            "state": "as-is",
            "owner": "Finance",
            "body": "## Purpose\n\nPay on time.\n",
        },
    )
    sub = post("/api/subscriptions", {"name": "jira", "url": "https://hooks.example.org/kb"})
    ids = {"lessons": lesson["id"], "processes": process["id"]}
    return {
        "doc_id": lambda path: ids.get(path.split("/")[2], lesson["id"]),
        "action_id": lambda path: action["id"],
        "subscription_id": lambda path: sub["id"],
        "key": lambda path: "ATLAS",
        "seq": lambda path: 1,
        "number": lambda path: 1,
    }


def test_the_api_does_what_its_document_says(app, token, lesson_md):
    known = seeded(app.test_client(), token, lesson_md)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40  # every operation of the API
    tried: list[str] = []
    failures = [
        failure
        for operation in operations
        for mode in EXAMPLES
        for failure in failures_of(operation, mode, headers, known, tried)
    ]
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:40])
    assert {op.label for op in operations} <= set(tried)  # every operation was called
    assert len(tried) >= 4 * len(operations)
