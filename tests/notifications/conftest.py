"""kb configured to mail through the real local SMTP server of the `mailbox` fixture."""

from __future__ import annotations

import dataclasses

import pytest

from kb.accounts import services as accounts
from kb.events.kinds import KbEvent
from kb.events.log.services import append_event

BASE_URL = "https://kb.example.org"


@pytest.fixture
def config(config, mailbox):
    """Every test here runs with e-mail on, through the local server."""
    return dataclasses.replace(
        config,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=mailbox.port,
        SMTP_FROM="kb@pmo.example.org",
        SMTP_TIMEOUT=5.0,
        BASE_URL=BASE_URL,
    )


@pytest.fixture
def person(kb):
    """person(username, role="reader", email=None, groups=()) -> a User."""

    def make(username: str, role: str = "reader", email: str | None = None, groups=()):
        return accounts.create_user(
            kb.db,
            username,
            password="correct horse battery",
            role=role,
            email=email,
            groups=list(groups),
            actor="test",
        )

    return make


def drain(kb, rounds: int = 20) -> None:
    """Run the worker until nothing is left (handlers' own events are dispatched next round)."""
    for _ in range(rounds):
        if not kb.worker.run_pending():
            return
    raise AssertionError("the worker never became idle")


def emit(kb, kb_event: KbEvent):
    """Append one of kb's own events (as the service that owns it would) and handle it."""
    with kb.db.write() as s:
        event = append_event(s, kb_event)
    drain(kb)
    return event
