"""API tokens made on the account pages: shown once, scoped, revoked."""

from __future__ import annotations

import re

from kb.accounts import services as accounts
from tests.web.signin import login_next, shown, stale, text


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def make_token(client, name: str, scope: str) -> str:
    response = client.post("/account/tokens", data={"name": name, "scope": scope})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = text(response)
    assert "it will not be shown again" in page and f"Token {name} created." in page
    return shown(page, "token-value")


def test_token_is_shown_once_and_works_until_revoked(login_as, kb, lesson_md, assert_inert):
    client = login_as("contributor", "dana")
    empty = text(client.get("/account/tokens"))
    assert_inert(empty)
    assert "No tokens yet." in empty

    token = make_token(client, "weekly report", "read")
    assert token.startswith(accounts.TOKEN_PREFIX)
    page = text(client.get("/account/tokens"))
    assert_inert(page)
    assert token not in page and "weekly report" in page and "never" in page
    [row] = accounts.list_tokens(kb.db, "dana")
    assert row.token_hash != token and token not in row.token_hash

    listed = client.application.test_client().get("/api/lessons", headers=bearer(token))
    assert listed.status_code == 200 and "total" in listed.json
    page = text(client.get("/account/tokens"))
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</td>\s*<td>", page)  # last used
    assert "never" not in page.split("<tbody>")[1].split("</tbody>")[0]

    response = client.post(f"/account/tokens/{row.id}/revoke")
    assert response.status_code == 303 and response.headers["Location"] == "/account/tokens"
    page = text(client.get("/account/tokens"))
    assert "Token revoked" in page and "Revoked" in page
    refused = client.application.test_client().get("/api/lessons", headers=bearer(token))
    assert refused.status_code == 401
    actions = [e.action for e in accounts.list_audit(kb.db)]
    assert "token.created" in actions and "token.revoked" in actions


def test_token_scopes(login_as, lesson_md):
    client = login_as("contributor", "dana")
    read, write = make_token(client, "reader", "read"), make_token(client, "writer", "write")
    api = client.application.test_client()  # no session: the token alone
    body = {"markdown": lesson_md("Sponsor left mid-project")}
    refused = api.post("/api/lessons", json=body, headers=bearer(read))
    assert refused.status_code == 403 and "read-only" in refused.json["error"]["message"]
    created = api.post("/api/lessons", json=body, headers=bearer(write))
    assert created.status_code == 201
    assert api.get("/api/lessons", headers=bearer(read)).json["total"] == 1


def test_a_reader_token_cannot_write_either(login_as, lesson_md):
    client = login_as("reader", "erin")
    token = make_token(client, "w", "write")  # the scope never adds to the role
    response = client.application.test_client().post(
        "/api/lessons", json={"markdown": lesson_md()}, headers=bearer(token)
    )
    assert response.status_code == 403


def test_token_form_checks(login_as):
    client = login_as("contributor", "dana")
    response = client.post("/account/tokens", data={"name": "x", "scope": "admin"})
    assert response.status_code == 400 and "The scope must be read or write." in text(response)
    assert 'value="x"' in text(response)


def test_making_a_token_needs_a_recent_sign_in(login_as, kb):
    client = login_as("contributor", "dana")
    stale(client)
    response = client.post("/account/tokens", data={"name": "late", "scope": "read"})
    assert response.status_code == 303 and login_next(response) == "/account/tokens"
    assert accounts.list_tokens(kb.db, "dana") == []


def test_nobody_revokes_someone_else_s_token(login_as, kb):
    dana = login_as("contributor", "dana")
    token = make_token(dana, "mine", "read")
    [row] = accounts.list_tokens(kb.db, "dana")
    erin = login_as("admin", "erin")
    assert erin.post(f"/account/tokens/{row.id}/revoke").status_code == 404
    assert (
        dana.application.test_client().get("/api/lessons", headers=bearer(token)).status_code == 200
    )


def test_a_disabled_user_s_token_stops_working(login_as, kb):
    client = login_as("reader", "erin")
    token = make_token(client, "t", "read")
    accounts.update_user(kb.db, "erin", actor="test", is_active=False)
    assert (
        client.application.test_client().get("/api/lessons", headers=bearer(token)).status_code
        == 401
    )
