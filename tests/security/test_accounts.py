"""Audit trail, throttling across processes, password rehashing."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from kb import create_app
from kb.accounts import services as accounts
from kb.accounts.login import LoginRefused, Throttled, authenticate
from kb.accounts.models import User


def test_document_changes_are_audited_with_who_and_from_where(login_as, kb, lesson_md):
    cleo = login_as("contributor", "cleo")
    made = cleo.post("/api/lessons", json={"markdown": lesson_md()},
                     environ_overrides={"REMOTE_ADDR": "10.1.2.3"}).json  # fmt: skip
    cleo.put(f"/api/lessons/{made['id']}", json={"markdown": made["markdown"] + "\nMore.\n", "version": 1},
             environ_overrides={"REMOTE_ADDR": "10.1.2.4"})  # fmt: skip
    log = [(e.actor, e.action, e.target, e.address) for e in accounts.list_audit(kb.db)]
    assert ("cleo", "lesson.created", made["id"], "10.1.2.3") in log
    assert ("cleo", "lesson.updated", made["id"], "10.1.2.4") in log
    admin = login_as("admin", "root")
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "lesson.updated" in page and "10.1.2.4" in page


def test_the_login_limit_holds_across_processes(config, make_user):
    """Two application instances (as two worker processes would be) share one database."""
    make_user("dana", "reader")
    first, second = create_app(config), create_app(config)
    try:
        for n in range(5):
            app = first if n % 2 else second
            with pytest.raises(LoginRefused):
                authenticate(app.extensions["kb"].db, "dana", "wrong guess", address=f"10.0.0.{n}")
        for app in (first, second):
            with pytest.raises(Throttled):  # the right password too: the account waits a minute
                authenticate(
                    app.extensions["kb"].db, "dana", "correct horse battery", address="10.9.9.9"
                )
    finally:
        first.extensions["kb"].close()
        second.extensions["kb"].close()


def test_old_password_hashes_are_upgraded_at_sign_in(kb, make_user):
    user = make_user("olaf", "reader")
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(
        "correct horse battery"
    )
    with kb.db.write() as s:
        s.get(User, user.id).password_hash = weak
    authenticate(kb.db, "olaf", "correct horse battery", address=None)
    stored = accounts.get_user(kb.db, "olaf").password_hash
    assert stored != weak and stored.startswith("$argon2id$")
    assert authenticate(kb.db, "olaf", "correct horse battery", address=None).username == "olaf"


def test_kb_hashes_with_the_rfc_9106_parameters(quick_password_hashes):
    """The tests hash with a test-sized cost; kb itself uses argon2id at RFC 9106's
    low-memory profile (3 passes over 64 MiB)."""
    production = quick_password_hashes
    assert (production.time_cost, production.memory_cost) == (3, 64 * 1024)
    assert production.hash("correct horse battery").startswith("$argon2id$v=19$m=65536,t=3")
