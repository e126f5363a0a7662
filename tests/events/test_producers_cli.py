"""`kb producers add | list | disable | enable | rotate` through the Click runner."""

from __future__ import annotations

import re

import pytest

from kb.cli import main
from kb.events.inbound import producers


def test_add_prints_secret_and_token_once(kb, runner):
    result = runner.invoke(main, ["producers", "add", "jira-acme"])
    assert result.exit_code == 0, result.output
    secret = re.search(r"signing secret: (whsec_\S+)", result.output).group(1)
    token = re.search(r"bearer token:\s+(kbt_\S+)", result.output).group(1)
    assert 24 <= len(producers.secret_key(secret)) <= 64
    row = producers.get_producer(kb.db, "jira-acme")
    assert row.is_active and row.token_hash == producers.hash_token(token)

    listing = runner.invoke(main, ["producers", "list"])
    assert listing.exit_code == 0
    assert "jira-acme" in listing.output and "never" in listing.output
    assert secret not in listing.output and token not in listing.output
    assert "whsec_" not in listing.output

    again = runner.invoke(main, ["producers", "add", "jira-acme"])
    assert again.exit_code == 1 and "already exists" in again.output


def test_bad_and_unknown_names(runner):
    result = runner.invoke(main, ["producers", "add", "no spaces please"])
    assert result.exit_code == 1 and "producer name" in result.output
    for command in ("disable", "enable", "rotate"):
        result = runner.invoke(main, ["producers", command, "ghost"])
        assert result.exit_code == 1 and "no producer named 'ghost'" in result.output


def test_disable_enable_and_rotate(kb, runner):
    first = producers.create_producer(kb.db, "ado")
    assert runner.invoke(main, ["producers", "disable", "ado"]).exit_code == 0
    assert not producers.get_producer(kb.db, "ado").is_active
    listing = runner.invoke(main, ["producers", "list"]).output
    assert re.search(r"ado\s+no\s", listing)
    assert runner.invoke(main, ["producers", "enable", "ado"]).exit_code == 0
    assert producers.get_producer(kb.db, "ado").is_active

    rotated = runner.invoke(main, ["producers", "rotate", "ado"])
    assert rotated.exit_code == 0
    secret = re.search(r"signing secret: (whsec_\S+)", rotated.output).group(1)
    row = producers.get_producer(kb.db, "ado")
    assert secret == row.secret != first.secret
    assert row.token_hash != producers.hash_token(first.token)


def test_list_when_empty(runner, kb):
    result = runner.invoke(main, ["producers", "list"])
    assert result.exit_code == 0 and "No producers yet" in result.output


def test_kb_event_secret_registers_the_default_producer(config):
    from kb import create_app
    from kb.events.signing import new_secret

    secret = new_secret()
    config.EVENT_SECRET = secret
    app = create_app(config)
    try:
        kb = app.extensions["kb"]
        default = producers.get_producer(kb.db, "default")
        assert default is not None and default.secret == secret and default.is_active
    finally:
        app.extensions["kb"].close()
    config.EVENT_SECRET = "whsec_not-base64!"
    with pytest.raises(ValueError, match="KB_EVENT_SECRET"):
        create_app(config)


@pytest.mark.parametrize("command", [["init", "--no-content"], ["worker", "--once"]])
def test_init_and_worker_register_the_event_secret(kb, runner, monkeypatch, command):
    from kb.events.signing import new_secret

    secret = new_secret()
    monkeypatch.setenv("KB_EVENT_SECRET", secret)
    assert runner.invoke(main, ["producers", "list"]).exit_code == 0  # reads only
    assert producers.get_producer(kb.db, "default") is None
    result = runner.invoke(main, command)
    assert result.exit_code == 0, result.output
    assert producers.get_producer(kb.db, "default").secret == secret
    monkeypatch.setenv("KB_EVENT_SECRET", "whsec_not-base64!")
    refused = runner.invoke(main, command)
    assert refused.exit_code != 0 and "KB_EVENT_SECRET" in str(refused.exception)
