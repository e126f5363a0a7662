"""Signing in and out, and the account page (password change, ending sessions)."""

from __future__ import annotations

import re

import pytest

from kb.accounts import services as accounts
from tests.web.signin import NEW_PASSWORD, PASSWORD, login, login_next, signed_in, stale, text

# --- signing in -----------------------------------------------------------------------------


def test_sign_in_and_out(anon_client, make_user, kb, assert_inert):
    make_user("dana", "contributor")
    page = anon_client.get("/login")
    assert page.status_code == 200
    assert_inert(text(page))
    assert 'name="username"' in text(page) and 'autocomplete="current-password"' in text(page)
    assert ">Sign in<" in text(page)

    response = login(anon_client, "Dana")  # usernames are not case-sensitive
    assert response.status_code == 303 and response.headers["Location"] == "/"
    home = text(anon_client.get("/"))
    assert "Signed in as dana." in home  # the flash; the display name defaults to the username
    assert 'action="/logout"' in home and 'href="/account"' in home
    assert accounts.get_user(kb.db, "dana").last_login_at is not None

    confirm = anon_client.get("/logout")
    assert confirm.status_code == 200 and 'action="/logout"' in text(confirm)
    assert signed_in(anon_client)  # a GET only asks

    out = anon_client.post("/logout")
    assert out.status_code == 303 and out.headers["Location"] == "/login"
    assert "You are signed out." in text(anon_client.get("/login"))
    assert not signed_in(anon_client)
    assert anon_client.get("/logout").headers["Location"] == "/login"


def test_wrong_password_shows_the_form_again_with_the_username(anon_client, make_user):
    make_user("dana")
    for username, password in (("dana", "not the password"), ("nobody", PASSWORD), ("", "")):
        response = login(anon_client, username, password)
        assert response.status_code == 401
        page = text(response)
        assert "That username and password do not match an active account." in page
        assert f'name="username" value="{username}"' in page
        assert "not the password" not in page
    assert not signed_in(anon_client)


def test_a_disabled_user_cannot_sign_in(anon_client, make_user, kb):
    make_user("dana")
    accounts.update_user(kb.db, "dana", actor="test", is_active=False)
    assert login(anon_client, "dana").status_code == 401


def test_five_failures_throttle_the_account(anon_client, make_user):
    make_user("dana")
    for n in range(5):  # from five addresses: the account's count stops the sixth
        assert (
            login(anon_client, "dana", "wrong password", address=f"10.0.1.{n}").status_code == 401
        )
    response = login(anon_client, "dana", address="10.0.1.99")  # even the right password
    assert response.status_code == 429
    page = text(response)
    assert "Too many failed sign-ins" in page and 'name="username" value="dana"' in page
    assert not signed_in(anon_client)


def test_five_failures_throttle_the_address(anon_client, app, make_user):
    make_user("dana")
    for n in range(5):  # five accounts tried from one address
        assert (
            login(anon_client, f"user{n}", "wrong password", address="10.0.2.1").status_code == 401
        )
    assert login(anon_client, "dana", address="10.0.2.1").status_code == 429
    other = app.test_client()
    assert login(other, "dana", address="10.0.2.2").status_code == 303  # another address


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "/\\evil",
        "\\\\evil.example",
        "http:/evil",
        "javascript:alert(1)",
        "evil.example",
        "///evil.example",
    ],
)
def test_next_never_leaves_kb(anon_client, make_user, target):
    make_user("dana")
    page = text(anon_client.get("/login", query_string={"next": target}))
    response = login(anon_client, "dana", next=target)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert "<script" not in page


def test_next_brings_you_back(anon_client, make_user):
    make_user("dana")
    away = anon_client.get("/account")  # the route guard sends to the login page
    assert away.status_code == 302 and login_next(away) == "/account"
    page = text(anon_client.get(away.headers["Location"]))
    assert 'name="next" value="/account"' in page
    response = login(anon_client, "dana", next="/lessons?topic=schedule")
    assert response.headers["Location"] == "/lessons?topic=schedule"


def test_the_header_shows_who_is_signed_in(app, anon_client, login_as, kb, assert_inert):
    app.config["KB_ANONYMOUS_READ"] = True
    page = text(anon_client.get("/lessons"))
    assert ">Sign in</a>" in page and 'action="/logout"' not in page
    assert 'href="/login?next=/lessons"' in page

    client = login_as("reader", "erin")
    accounts.update_user(kb.db, "erin", actor="test", display_name="Erin <b>O'Neil</b>")
    page = text(client.get("/"))
    assert_inert(page)
    assert "Erin &lt;b&gt;O&#39;Neil&lt;/b&gt;" in page
    assert 'href="/account"' in page and ">Sign in</a>" not in page
    form = re.search(r'<form[^>]*action="/logout".*?</form>', page, re.S).group(0)
    assert 'method="post"' in form and 'name="csrf_token"' in form
    assert 'name="csrf-token"' in page  # the meta tag edit.js reads


def test_sign_in_starts_a_new_session(anon_client, make_user):
    make_user("dana")
    with anon_client.session_transaction() as session:
        session["planted"] = "by someone else"
    login(anon_client, "dana")
    with anon_client.session_transaction() as session:
        assert "planted" not in session


# --- the account page -----------------------------------------------------------------------


def test_account_page_shows_the_user(login_as, kb, assert_inert):
    client = login_as("contributor", "dana", groups=["pmo", "finance"])
    accounts.update_user(
        kb.db, "dana", actor="test", display_name="Dana Fischer", email="dana@example.org"
    )
    response = client.get("/account")
    assert response.status_code == 200
    page = text(response)
    assert_inert(page)
    for expected in (
        "Dana Fischer",
        "dana@example.org",
        "Contributor",
        "pmo",
        "finance",
        'action="/account/password"',
        'action="/account/sessions"',
        "Sign out everywhere else",
        'href="/account/tokens"',
    ):
        assert expected in page, expected


def test_password_change_ends_every_other_session(app, make_user, kb):
    make_user("dana")
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "dana")
    login(elsewhere, "dana")
    response = here.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert "Password changed." in text(here.get("/account"))
    assert signed_in(here)
    assert not signed_in(elsewhere)
    fresh = app.test_client()
    assert login(fresh, "dana", PASSWORD).status_code == 401
    assert login(fresh, "dana", NEW_PASSWORD).status_code == 303
    [entry] = [e for e in accounts.list_audit(kb.db) if e.action == "user.password_changed"]
    assert entry.actor == "dana" and entry.target == "dana"


@pytest.mark.parametrize(
    ("current", "new", "repeat", "message"),
    [
        ("not it at all", NEW_PASSWORD, NEW_PASSWORD, "Your current password is not right."),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!", "differ"),
        (PASSWORD, "short", "short", "at least 10 characters"),
        (PASSWORD, PASSWORD, PASSWORD, "must differ from the current one"),
    ],
)
def test_password_change_checks(app, make_user, current, new, repeat, message):
    make_user("dana")
    client = app.test_client()
    login(client, "dana")
    response = client.post(
        "/account/password",
        data={"current_password": current, "new_password": new, "repeat_password": repeat},
    )
    assert response.status_code == 400
    assert message in text(response)
    assert signed_in(client)
    assert login(app.test_client(), "dana", PASSWORD).status_code == 303  # unchanged


def test_password_change_needs_a_recent_sign_in(app, make_user):
    make_user("dana")
    client = app.test_client()
    login(client, "dana")
    stale(client)
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 303 and login_next(response) == "/account"
    page = text(client.get(response.headers["Location"]))
    assert "Please confirm your password" in page and 'value="dana"' in page
    assert login(app.test_client(), "dana", NEW_PASSWORD).status_code == 401  # not changed
    assert login(client, "dana", next="/account").headers["Location"] == "/account"
    again = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
    )
    assert again.status_code == 303 and again.headers["Location"] == "/account"


def test_sign_out_everywhere_else(app, make_user, kb):
    make_user("dana")
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "dana")
    login(elsewhere, "dana")
    response = here.post("/account/sessions")
    assert response.status_code == 303
    assert signed_in(here) and not signed_in(elsewhere)
    assert any(e.action == "user.sessions_ended" for e in accounts.list_audit(kb.db))


def test_logout_ends_the_session(app, make_user):
    make_user("dana")
    client = app.test_client()
    login(client, "dana")
    assert signed_in(client)
    client.post("/logout")
    assert not signed_in(client)
    assert client.get("/account/tokens").status_code == 302


def test_account_pages_need_a_sign_in(anon_client):
    for path in ("/account", "/account/tokens"):
        response = anon_client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    for path in (
        "/account/password",
        "/account/sessions",
        "/account/tokens",
        "/account/tokens/1/revoke",
    ):
        assert anon_client.post(path).status_code == 302


def test_a_session_is_checked_against_the_account_on_every_request(app, make_user, kb):
    """The session's user is read on each request: their groups and role as they are now,
    and a disabled account's session ends at its next request."""
    from kb.security import viewer

    make_user("dana", "contributor", groups=["finance", "pmo"])
    client = app.test_client()
    login(client, "dana")
    seen = []
    app.before_request_funcs.setdefault(None, []).append(lambda: seen.append(viewer()))
    assert client.get("/account").status_code == 200
    assert seen[-1].role == "contributor" and seen[-1].groups == {"finance", "pmo"}
    accounts.update_user(kb.db, "dana", actor="test", is_active=False)
    assert client.get("/account").status_code == 302
    assert not signed_in(client)
