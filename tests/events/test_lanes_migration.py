"""Migration 0012 on a database with deliveries waiting: webhook and e-mail runs move to the
delivery lane, learn their receiver, and those of a disabled subscription are cancelled."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from kb.migrate import alembic_config
from tests.pg import throwaway_database


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    with throwaway_database("kb_mig", migrate=False) as url:
        yield url


def test_waiting_runs_are_placed_in_lanes(fresh_url):
    command.upgrade(alembic_config(fresh_url), "0010")
    engine = create_engine(fresh_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO subscriptions (id, name, url, types, secret, is_active, created_at) VALUES "
                "(1, 'on', 'https://Hooks.Example.org:8443/kb', '[]', 's', true, CURRENT_TIMESTAMP), "
                "(2, 'off', 'http://other.example.org/kb', '[]', 's', false, CURRENT_TIMESTAMP)"
            )
        )
        for seq in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO events (seq, source, event_id, type, time, data, received_at, "
                    "attributes, is_ignored) VALUES (:seq, 'urn:pmo:kb', :id, 'org.pmo.kb.x', "
                    "CURRENT_TIMESTAMP, '{}', CURRENT_TIMESTAMP, '{}', false)"
                ),
                {"seq": seq, "id": f"e{seq}"},
            )
        runs = [
            (1, "webhook:1", "pending"),
            (1, "webhook:2", "pending"),
            (2, "webhook:2", "done"),
            (1, "notifications.mail", "pending"),
            (1, "reviews.open_on_closure", "pending"),
        ]
        for i, (seq, handler, status) in enumerate(runs, 1):
            conn.execute(
                text(
                    "INSERT INTO handler_runs (id, event_seq, handler, status, attempts, "
                    "next_attempt_at, created_at) VALUES (:i, :seq, :h, :s, 0, "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"i": i, "seq": seq, "h": handler, "s": status},
            )
    command.upgrade(alembic_config(fresh_url), "head")
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT handler, status, lane, receiver FROM handler_runs ORDER BY id")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("webhook:1", "pending", "deliveries", "hooks.example.org"),
        ("webhook:2", "cancelled", "deliveries", "other.example.org"),
        ("webhook:2", "done", "deliveries", None),
        ("notifications.mail", "pending", "deliveries", None),
        ("reviews.open_on_closure", "pending", "kb", None),
    ]
