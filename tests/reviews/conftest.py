"""Shared by the review tests: the worker's pinned clock, posting inbound events, people."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from kb.accounts import services as accounts
from kb.core.time import utcnow
from kb.events.log.models import Event
from kb.events.log.services import lock_log


@pytest.fixture(autouse=True)
def before_the_due_date(kb):
    """The worker sweeps overdue reviews on every pass: pin its clock between the closure
    (2026-10-02) and the due date, so only the tests about escalation see any."""
    kb.worker.clock = lambda: datetime(2026, 10, 5, tzinfo=UTC)


def inbound(type_: str, data: dict, key: str | None = None) -> Event:
    return Event(
        source="urn:pmo:test",
        event_id=str(uuid.uuid4()),
        type=f"org.pmo.{type_}",
        time=utcnow(),
        data=data,
        partition_key=key,
    )


@pytest.fixture
def post(kb):
    """post(*events): store inbound events as /api/events does and run the worker."""

    def post(*events: Event) -> None:
        with kb.db.write() as s:
            lock_log(s)
            s.add_all(events)
        kb.worker.run_pending()

    return post


@pytest.fixture
def close_project(post):
    """close_project(key, **data): a project.closed event with the PM pm@example.org and the
    participants a@ and b@example.org."""

    def close(key: str = "HARBOUR", **data) -> None:
        payload = {
            "project": {"projectId": key, "name": f"Project {key}"},
            "closedAt": "2026-10-02T16:00:00Z",
            "closureType": "completed",
            "outcomeSummary": "Live on time.",
            "managerEmail": "pm@example.org",
            "participants": ["a@example.org", "b@example.org"],
            "processModels": [],
        }
        payload.update(data)
        post(inbound("project.closed", payload, key))

    return close


@pytest.fixture
def person(app, kb, login_as):
    """person(role, username, email=None) -> a signed-in test client for a user with an e-mail."""

    def make(role: str, username: str, email: str | None = None):
        client = login_as(role, username)
        if email:
            accounts.update_user(kb.db, username, actor="test", email=email)
        return client

    return make
