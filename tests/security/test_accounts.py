"""Audit trail, throttling across processes, password rehashing."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher

from kb import create_app
from kb.accounts import passwords
from kb.accounts import services as accounts
from kb.accounts.login import LIMIT, LoginRefused, Throttled, authenticate
from kb.accounts.models import User


def test_document_changes_are_audited_with_who_and_from_where(login_as, kb, lesson_md):
    cleo = login_as("contributor", "cleo")
    made = cleo.post(
        "/api/lessons",
        json={"markdown": lesson_md()},
        environ_overrides={"REMOTE_ADDR": "10.1.2.3"},
    ).json
    cleo.put(
        f"/api/lessons/{made['id']}",
        json={"markdown": made["markdown"] + "\nMore.\n", "version": 1},
        environ_overrides={"REMOTE_ADDR": "10.1.2.4"},
    )
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


class CountingHasher(PasswordHasher):
    """The real argon2id hasher, counting the verifications it runs (instrumentation)."""

    def __init__(self, like: PasswordHasher):
        super().__init__(
            time_cost=like.time_cost, memory_cost=like.memory_cost, parallelism=like.parallelism
        )
        self.verified = 0
        self._lock = threading.Lock()

    def verify(self, hash, password) -> bool:  # noqa: A002  (argon2's own parameter name)
        with self._lock:
            self.verified += 1
        return super().verify(hash, password)


@pytest.mark.parametrize("shared", ["account", "address"])
def test_concurrent_attempts_never_verify_more_than_the_limit(
    config, make_user, monkeypatch, shared
):
    """60 wrong passwords at once, through two application instances on one database: for
    one account from 60 addresses, or for 60 accounts from one address."""
    make_user("dana", "reader")
    hasher = CountingHasher(passwords._hasher)
    monkeypatch.setattr(passwords, "_hasher", hasher)
    apps = [create_app(config), create_app(config)]
    for app in apps:
        app.config["WTF_CSRF_ENABLED"] = False
    attempts = 60
    start = threading.Barrier(attempts)

    def attempt(n: int) -> int:
        username, address = ("dana", f"10.3.{n // 250}.{n % 250}")
        if shared == "address":
            username, address = (f"user{n}", "10.3.9.9")
        client = apps[n % 2].test_client()
        start.wait(timeout=60)  # all at once
        response = client.post(
            "/login",
            data={"username": username, "password": "wrong guess"},
            environ_overrides={"REMOTE_ADDR": address},
        )
        return response.status_code

    try:
        with ThreadPoolExecutor(max_workers=attempts) as pool:
            statuses = Counter(pool.map(attempt, range(attempts)))
    finally:
        for app in apps:
            app.extensions["kb"].close()
    assert 1 <= hasher.verified <= LIMIT
    assert statuses == {401: hasher.verified, 429: attempts - hasher.verified}


def test_successful_sign_ins_do_not_use_up_the_allowance(kb, make_user):
    make_user("dana", "reader")
    for _ in range(3 * LIMIT):
        assert authenticate(kb.db, "dana", "correct horse battery", address="10.0.0.1")
    for _ in range(LIMIT):
        with pytest.raises(LoginRefused):
            authenticate(kb.db, "dana", "wrong guess", address="10.0.0.1")
    with pytest.raises(Throttled):
        authenticate(kb.db, "dana", "correct horse battery", address="10.0.0.1")


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
