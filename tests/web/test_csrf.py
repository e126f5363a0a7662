"""CSRF protection (Flask-WTF's CSRFProtect) with the check switched on, as in production:
forms need the token from the page, session JSON calls need it in X-CSRFToken, API tokens
need none."""

from __future__ import annotations

import html as htmllib
import re

import pytest

from kb.accounts import services as accounts

PASSWORD = "correct horse battery"  # make_user's and login_as's (tests/conftest.py)


@pytest.fixture
def app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def form_token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no csrf_token field"
    return htmllib.unescape(match.group(1))


def meta_token(page: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert match, "no csrf-token meta tag"
    return htmllib.unescape(match.group(1))


def text(response) -> str:
    return response.get_data(as_text=True)


def test_sign_in_needs_the_token_from_the_form(anon_client, make_user):
    make_user("dana")
    credentials = {"username": "dana", "password": PASSWORD}
    missing = anon_client.post("/login", data=credentials)
    assert missing.status_code == 400
    assert "security token is missing or wrong" in text(missing)
    token = form_token(text(anon_client.get("/login")))
    wrong = anon_client.post("/login", data={**credentials, "csrf_token": token[:-4] + "AAAA"})
    assert wrong.status_code == 400 and "security token" in text(wrong)
    ok = anon_client.post("/login", data={**credentials, "csrf_token": token})
    assert ok.status_code == 303


def test_a_token_from_another_session_is_refused(app, anon_client, make_user):
    make_user("dana")
    theirs = form_token(text(app.test_client().get("/login")))
    anon_client.get("/login")
    response = anon_client.post(
        "/login", data={"username": "dana", "password": PASSWORD, "csrf_token": theirs}
    )
    assert response.status_code == 400


def test_admin_forms_need_the_token(client, kb):
    data = {"username": "gus", "role": "reader", "password_choice": "generate"}
    assert client.post("/admin/users", data=data).status_code == 400
    assert client.post("/admin/users", data={**data, "csrf_token": "forged"}).status_code == 400
    assert accounts.get_user(kb.db, "gus") is None
    token = form_token(text(client.get("/admin/users")))
    assert client.post("/admin/users", data={**data, "csrf_token": token}).status_code == 200
    assert accounts.get_user(kb.db, "gus") is not None


def test_sign_out_needs_the_token(client):
    assert client.post("/logout").status_code == 400
    assert client.get("/account").status_code == 200  # still signed in
    token = form_token(text(client.get("/logout")))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/account").status_code == 302


def test_the_edit_form_carries_the_token(login_as, lesson_md):
    client = login_as("contributor", "dana")
    page = text(client.get("/lessons/new"))
    source = lesson_md("Kick-off without a sponsor")
    assert client.post("/lessons/new", data={"markdown": source}).status_code == 400
    response = client.post(
        "/lessons/new", data={"markdown": source, "csrf_token": form_token(page)}
    )
    assert response.status_code == 303


def test_preview_from_the_session_needs_the_header(login_as, lesson_md):
    client = login_as("contributor", "dana")
    body = {"markdown": lesson_md("Preview me"), "type": "lesson"}
    missing = client.post("/api/preview", json=body)
    assert missing.status_code == 400
    assert "CSRF" in missing.json["error"]["message"]
    wrong = client.post("/api/preview", json=body, headers={"X-CSRFToken": "forged"})
    assert wrong.status_code == 400
    token = meta_token(text(client.get("/lessons/new")))
    ok = client.post("/api/preview", json=body, headers={"X-CSRFToken": token})
    assert ok.status_code == 200 and "Preview me" in ok.json["title"]


def test_api_tokens_need_no_csrf_token(app, login_as, lesson_md):
    client = login_as("contributor", "dana")
    token = form_token(text(client.get("/account/tokens")))
    page = text(
        client.post(
            "/account/tokens", data={"name": "script", "scope": "write", "csrf_token": token}
        )
    )
    secret = htmllib.unescape(re.search(r'id="token-value"[^>]*\svalue="([^"]*)"', page).group(1))
    script = app.test_client()  # no cookie, no CSRF token: a bearer token only
    headers = {"Authorization": f"Bearer {secret}"}
    created = script.post(
        "/api/lessons", json={"markdown": lesson_md("From a script")}, headers=headers
    )
    assert created.status_code == 201, created.json
    preview = script.post(
        "/api/preview", json={"markdown": lesson_md("x"), "type": "lesson"}, headers=headers
    )
    assert preview.status_code == 200, preview.json


@pytest.mark.parametrize(
    "path",
    [
        "/login",
        "/logout",
        "/account",
        "/account/tokens",
        "/admin/users",
        "/admin/users/ada",
        "/admin/producers",
        "/admin/subscriptions",
        "/lessons/new",
    ],
)
def test_every_post_form_carries_the_token(client, path):
    page = text(client.get(path))
    forms = re.findall(r'<form\b[^>]*method="post"[^>]*>(.*?)</form>', page, re.S)
    assert forms, path
    for form in forms:
        assert 'name="csrf_token"' in form, (path, form[:200])


def test_a_session_signs_its_token_once_and_every_page_carries_it(app, client, monkeypatch):
    """With no time limit the token's time stamp is never read: its signing is kept per
    session (kb.security.csrf_token) instead of done again on every page."""
    from itsdangerous import URLSafeTimedSerializer

    signed = []
    real_dumps = URLSafeTimedSerializer.dumps

    def counted(self, obj, salt=None):  # noqa: ANN001, ANN202 (the real one, counted)
        if isinstance(obj, str):  # a CSRF token (the session cookie is a dict)
            signed.append(obj)
        return real_dumps(self, obj, salt)

    monkeypatch.setattr(URLSafeTimedSerializer, "dumps", counted)
    tokens = {meta_token(text(client.get(path))) for path in ("/account", "/lessons", "/inbox")}
    assert len(tokens) == 1 and len(signed) <= 1
    (token,) = tokens
    other = form_token(text(app.test_client().get("/login")))  # another session
    assert other != token
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
