"""Signing in from the page tests: the test password, the login form, and reading pages."""

from __future__ import annotations

import html as htmllib
import re
import time
from urllib.parse import parse_qs, urlsplit

PASSWORD = "correct horse battery"  # make_user's and login_as's (tests/conftest.py)
NEW_PASSWORD = "a whole new sentence here"


def login(client, username: str, password: str = PASSWORD, *, address: str = "10.0.0.1", **data):
    return client.post(
        "/login",
        data={"username": username, "password": password, **data},
        environ_overrides={"REMOTE_ADDR": address},
    )


def signed_in(client) -> bool:
    """Whether the client's session is live: /account answers, or sends to the login page."""
    response = client.get("/account")
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def stale(client) -> None:
    """Make the client's sign-in older than kb.security.RECENT_LOGIN."""
    with client.session_transaction() as session:
        session["auth_at"] = int(time.time()) - 3600


def shown(page: str, field_id: str) -> str:
    match = re.search(rf'id="{field_id}"[^>]*\svalue="([^"]*)"', page)
    assert match, field_id
    return htmllib.unescape(match.group(1))


def login_next(response) -> str:
    """Where a redirect to the login page will come back to."""
    parts = urlsplit(response.headers["Location"])
    assert parts.path == "/login", response.headers["Location"]
    return parse_qs(parts.query)["next"][0]


def text(response) -> str:
    return response.get_data(as_text=True)
