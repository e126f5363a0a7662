"""A password someone else chose (kb's one-time admin password, an admin's reset) must be
replaced at the first sign-in: every page but the change-password form (and logout) sends
there, the account's API tokens are refused meanwhile, and the new one must differ and be
long enough."""

from __future__ import annotations

import pytest

from kb.accounts import services as accounts
from kb.cli import _first_admin
from tests.web.signin import NEW_PASSWORD, PASSWORD, login, signed_in, text


@pytest.fixture
def one_time_admin(kb, capsys):
    """The account kb makes on its first start, and the one-time password it printed."""
    _first_admin(kb)
    out = capsys.readouterr().out
    assert "the first sign-in asks for a new password" in out
    return out.split("password: ")[1].split()[0]


def test_the_first_sign_in_with_the_one_time_password_asks_for_a_new_one(
    anon_client, one_time_admin, kb, assert_inert
):
    client = anon_client
    signed = login(client, "admin", one_time_admin, next="/admin/users")
    assert signed.status_code == 303
    for path in ("/admin/users", "/", "/search?q=vendor", "/account", "/inbox", "/admin/groups"):
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["Location"].endswith("/account/password"), path
    page = client.get("/account/password")
    assert page.status_code == 200
    assert "Choose your own password" in text(page)
    assert_inert(text(page))
    # the API too, with the session cookie
    api = client.get("/api/lessons")
    assert api.status_code == 403
    assert "must choose a new password" in api.get_json()["error"]["message"]

    def change(new: str, repeat: str | None = None, current: str = one_time_admin):
        return client.post(
            "/account/password",
            data={
                "current_password": current,
                "new_password": new,
                "repeat_password": new if repeat is None else repeat,
            },
        )

    refused = change(one_time_admin)
    assert refused.status_code == 400
    assert "must differ from the current one" in text(refused)
    assert "Choose your own password" in text(refused)  # still the focused form
    assert change("short").status_code == 400
    assert "at least 10 characters" in text(change("short"))
    assert (
        "your current password is not right" in text(change(NEW_PASSWORD, current="nope")).lower()
    )
    assert accounts.get_user(kb.db, "admin").must_change_password

    done = change(NEW_PASSWORD)
    assert done.status_code == 303 and done.headers["Location"].endswith("/")
    assert not accounts.get_user(kb.db, "admin").must_change_password
    assert client.get("/admin/users").status_code == 200
    assert client.get("/api/lessons").status_code == 200


def test_logout_stays_open_meanwhile(anon_client, one_time_admin):
    login(anon_client, "admin", one_time_admin)
    assert anon_client.get("/logout").status_code == 200
    assert anon_client.post("/logout").status_code == 303
    assert not signed_in(anon_client)


def test_api_tokens_wait_for_the_new_password(app, kb, make_user):
    make_user("sam", "contributor")
    _, token = accounts.create_token(kb.db, "sam", name="script", scope="write")
    app_client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert app_client.get("/api/lessons", headers=headers).status_code == 200
    accounts.set_password(
        kb.db, "sam", "chosen by an admin", actor="ada", must_change_password=True
    )
    refused = app_client.get("/api/lessons", headers=headers)
    assert refused.status_code == 403
    message = refused.get_json()["error"]["message"]
    assert "sam must choose a new password" in message and "API tokens work again" in message
    accounts.set_password(kb.db, "sam", NEW_PASSWORD, actor="sam")
    assert app_client.get("/api/lessons", headers=headers).status_code == 200


def test_an_admins_reset_of_another_user_asks_them_for_their_own(client, make_user, anon_client):
    make_user("dana", "contributor")
    reset = client.post(
        "/admin/users/dana", data={"action": "password", "password_choice": "generate"}
    )
    assert reset.status_code == 200
    assert "choose their own" in text(reset)
    password = text(reset).split('id="password-value"')[1].split('value="')[1].split('"')[0]
    login(anon_client, "dana", password)
    assert anon_client.get("/").headers["Location"].endswith("/account/password")
    # an admin setting their own password is not asked again
    client.post(
        "/admin/users/ada",
        data={"action": "password", "password_choice": "typed", "password": "my own new password"},
    )
    assert client.get("/").status_code == 200


def test_an_ordinary_password_change_is_unchanged(client):
    page = client.get("/account/password")
    assert page.status_code == 200 and "Your account" in text(page)
    done = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
    )
    assert done.status_code == 303 and done.headers["Location"].endswith("/account")
