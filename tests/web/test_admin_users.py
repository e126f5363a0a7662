"""/admin/users and /admin/audit: list, create (password typed or generated and shown once),
role and groups, disable and enable, new password, end sessions; admins only; audited."""

from __future__ import annotations

import html as htmllib
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from kb.accounts import groups
from kb.accounts import services as accounts

PASSWORD = "correct horse battery"  # make_user's and login_as's (tests/conftest.py)


def text(response) -> str:
    return response.get_data(as_text=True)


def shown(page: str, field_id: str) -> str:
    match = re.search(rf'id="{field_id}"[^>]*\svalue="([^"]*)"', page)
    assert match, field_id
    return htmllib.unescape(match.group(1))


def login(client, username: str, password: str = PASSWORD, **data):
    return client.post("/login", data={"username": username, "password": password, **data})


def signed_in(client) -> bool:
    response = client.get("/account")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def stale(client) -> None:
    with client.session_transaction() as session:
        session["auth_at"] = int(time.time()) - 3600


def profile(user, **changes) -> dict:
    form = {
        "action": "profile",
        "display_name": user.display_name,
        "email": user.email or "",
        "role": user.role,
        "groups": [g.name for g in user.groups],
    }
    form.update(changes)
    return form


def test_the_list_shows_every_user(client, app, make_user, kb, assert_inert):
    make_user("dana", "contributor", groups=["pmo", "finance"])
    login(app.test_client(), "dana")
    make_user("erin", "reader")
    accounts.update_user(
        kb.db, "erin", actor="test", is_active=False, display_name="Erin <script>x</script>"
    )
    response = client.get("/admin/users")
    assert response.status_code == 200
    page = text(response)
    assert_inert(page)
    assert 'href="/admin/users/dana"' in page and 'href="/admin/users/erin"' in page
    assert "finance, pmo" in page and "Contributor" in page
    assert "Disabled" in page and "Active" in page and "never" in page
    assert "Erin &lt;script&gt;" in page
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", page)  # dana's last sign-in
    assert 'id="new-user"' in page


def test_create_with_a_generated_password_shown_once(client, app, kb, assert_inert):
    for name in ("pmo", "finance"):
        groups.create_group(kb.db, name, actor="test")
    form = client.get("/admin/users")
    assert 'type="checkbox" name="groups" value="finance"' in text(form)
    assert 'href="/admin/groups"' in text(form)  # the groups page is one click away
    response = client.post(
        "/admin/users",
        data={
            "username": "Dana.Fischer",
            "display_name": "Dana Fischer",
            "email": "dana@example.org",
            "role": "contributor",
            "groups": ["pmo", "finance", "pmo"],
            "password_choice": "generate",
        },
    )
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = text(response)
    assert_inert(page)
    assert "User dana.fischer created." in page and "it will not be shown again" in page
    password = shown(page, "password-value")
    assert len(password) >= 16
    user = accounts.get_user(kb.db, "dana.fischer")
    assert user.role == "contributor" and [g.name for g in user.groups] == ["finance", "pmo"]
    assert user.email == "dana@example.org" and password not in user.password_hash
    for path in ("/admin/users", "/admin/users/dana.fischer"):
        assert password not in text(client.get(path))
    assert login(app.test_client(), "dana.fischer", password).status_code == 303
    [created] = [
        e
        for e in accounts.list_audit(kb.db)
        if e.action == "user.created" and e.target == "dana.fischer"
    ]
    assert created.actor == "ada"


def test_create_with_a_typed_password(client, app, kb):
    response = client.post(
        "/admin/users",
        data={
            "username": "erin",
            "role": "reader",
            "password_choice": "typed",
            "password": "typed by the admin",
        },
    )
    assert response.status_code == 200 and "password-value" not in text(response)
    assert login(app.test_client(), "erin", "typed by the admin").status_code == 303


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"username": "x"}, 400, "A username is 2-40"),
        ({"username": "ada"}, 409, "There is already a user ada."),
        ({"username": "gus", "role": "superuser"}, 400, "The role must be one of"),
        (
            {"username": "gus", "password_choice": "typed", "password": "short"},
            400,
            "at least 10 characters",
        ),
        ({"username": "gus", "email": "not an address"}, 400, "is not an e-mail address"),
        (
            {"username": "gus", "groups": "<b>"},
            400,
            "There is no group '<b>': add it on the groups page",
        ),
    ],
)
def test_create_checks_the_form(client, kb, form, status, message):
    data = {"role": "reader", "password_choice": "generate", **form}
    response = client.post("/admin/users", data=data)
    assert response.status_code == status
    page = text(response)
    assert message in htmllib.unescape(page)
    assert f'value="{htmllib.escape(form["username"])}"' in page  # the form is kept
    assert accounts.get_user(kb.db, "gus") is None


def test_change_role_and_groups(client, login_as, kb):
    dana = login_as("reader", "dana")
    assert dana.get("/lessons/new").status_code == 403
    user = accounts.get_user(kb.db, "dana")
    for name in ("atlas team", "finance"):
        groups.create_group(kb.db, name, actor="test")
    response = client.post(
        "/admin/users/dana",
        data=profile(
            user, role="contributor", groups=["atlas team", "finance"], display_name="Dana F."
        ),
    )
    assert response.status_code == 303 and response.headers["Location"] == "/admin/users/dana"
    assert "Saved." in text(client.get("/admin/users/dana"))
    user = accounts.get_user(kb.db, "dana")
    assert user.role == "contributor" and user.display_name == "Dana F."
    assert [g.name for g in user.groups] == ["atlas team", "finance"]
    assert dana.get("/lessons/new").status_code == 200  # at their next request
    [entry] = [e for e in accounts.list_audit(kb.db) if e.action == "user.updated"]
    assert entry.actor == "ada" and entry.details["role"] == ["reader", "contributor"]


def test_role_changes_need_a_recent_sign_in(client, make_user, kb):
    user = make_user("dana")
    stale(client)
    response = client.post("/admin/users/dana", data=profile(user, role="admin"))
    assert response.status_code == 303
    parts = urlsplit(response.headers["Location"])
    assert parts.path == "/login" and parse_qs(parts.query)["next"] == ["/admin/users/dana"]
    assert "Please confirm your password" in text(client.get(response.headers["Location"]))
    assert accounts.get_user(kb.db, "dana").role == "reader"
    # the same for a new password and a new user (they set a password and a role)
    assert client.post("/admin/users/dana", data={"action": "password"}).status_code == 303
    assert client.post("/admin/users", data={"username": "gus"}).status_code == 303
    assert accounts.get_user(kb.db, "gus") is None
    # a name is not sensitive
    response = client.post("/admin/users/dana", data=profile(user, display_name="Dana"))
    assert response.headers["Location"] == "/admin/users/dana"
    # confirming the password brings the admin back
    back = login(client, "ada", next="/admin/users/dana")
    assert back.headers["Location"] == "/admin/users/dana"
    client.post("/admin/users/dana", data=profile(user, role="admin"))
    assert accounts.get_user(kb.db, "dana").role == "admin"


def test_an_admin_cannot_demote_or_disable_themselves(client, kb):
    ada = accounts.get_user(kb.db, "ada")
    response = client.post("/admin/users/ada", data=profile(ada, role="reader"))
    assert response.status_code == 400 and "your own role" in text(response)
    response = client.post("/admin/users/ada", data={"action": "active", "active": "0"})
    assert response.status_code == 400 and "disable your own account" in text(response)
    ada = accounts.get_user(kb.db, "ada")
    assert ada.role == "admin" and ada.is_active
    assert signed_in(client)


def test_disabled_user_is_signed_out_at_the_next_request(client, app, make_user, kb):
    make_user("dana", "contributor")
    dana = app.test_client()
    login(dana, "dana")
    assert signed_in(dana)
    response = client.post("/admin/users/dana", data={"action": "active", "active": "0"})
    assert response.status_code == 303
    assert "Disabled" in text(client.get("/admin/users/dana"))
    assert not signed_in(dana)
    assert login(dana, "dana").status_code == 401
    client.post("/admin/users/dana", data={"action": "active", "active": "1"})
    assert login(dana, "dana").status_code == 303
    changes = [
        e.details.get("active") for e in accounts.list_audit(kb.db) if e.action == "user.updated"
    ]
    assert changes == [[False, True], [True, False]]


def test_end_all_sessions_of_a_user(client, app, make_user):
    make_user("dana")
    dana = app.test_client()
    login(dana, "dana")
    response = client.post("/admin/users/dana", data={"action": "sessions"})
    assert response.status_code == 303
    assert not signed_in(dana)
    client.post("/admin/users/ada", data={"action": "sessions"})  # one's own: this one stays
    assert signed_in(client)


def test_an_admin_sets_a_new_password(client, app, make_user, kb):
    make_user("dana")
    dana = app.test_client()
    login(dana, "dana")
    response = client.post(
        "/admin/users/dana", data={"action": "password", "password_choice": "generate"}
    )
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = shown(text(response), "password-value")
    assert not signed_in(dana)
    assert login(dana, "dana", PASSWORD).status_code == 401
    assert login(dana, "dana", password).status_code == 303
    typed = client.post(
        "/admin/users/dana",
        data={"action": "password", "password_choice": "typed", "password": "short"},
    )
    assert typed.status_code == 400 and "at least 10 characters" in text(typed)


def test_unknown_user_and_action(client):
    assert client.get("/admin/users/nobody").status_code == 404
    assert client.post("/admin/users/nobody", data={"action": "sessions"}).status_code == 404
    assert client.post("/admin/users/ada", data={"action": "explode"}).status_code == 400


@pytest.mark.parametrize("role", ["curator", "contributor", "reader"])
def test_admin_pages_are_for_admins_only(login_as, make_user, kb, role):
    make_user("dana")
    someone = login_as(role)
    for path in ("/admin/users", "/admin/users/dana", "/admin/audit"):
        assert someone.get(path).status_code == 403, path
    assert someone.post("/admin/users", data={"username": "gus"}).status_code == 403
    assert (
        someone.post("/admin/users/dana", data={"action": "active", "active": "0"}).status_code
        == 403
    )
    assert accounts.get_user(kb.db, "gus") is None and accounts.get_user(kb.db, "dana").is_active


def test_anonymous_visitors_are_sent_to_sign_in(anon_client):
    for path in ("/admin/users", "/admin/users/ada", "/admin/audit"):
        response = anon_client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_the_footer_shows_administration_by_role(client, login_as):
    admin = text(client.get("/"))
    for link in (
        "/admin/users",
        "/admin/audit",
        "/admin/events",
        "/admin/producers",
        "/admin/subscriptions",
    ):
        assert f'href="{link}"' in admin, link
    curator = text(login_as("curator").get("/"))
    assert 'href="/admin/events"' in curator
    assert 'href="/admin/users"' not in curator and 'href="/admin/audit"' not in curator
    assert 'href="/admin/producers"' not in curator
    for role in ("contributor", "reader"):
        assert "Administration" not in text(login_as(role).get("/"))


def test_the_audit_log_lists_sign_ins_and_user_changes(client, app, kb, make_user, assert_inert):
    make_user("dana")
    visitor = app.test_client()
    visitor.post(
        "/login",
        data={"username": "dana", "password": "wrong password"},
        environ_overrides={"REMOTE_ADDR": "10.9.8.7"},
    )
    visitor.post(
        "/login",
        data={"username": "dana", "password": PASSWORD},
        environ_overrides={"REMOTE_ADDR": "10.9.8.7"},
    )
    for name in ("finance", "pmo"):
        groups.create_group(kb.db, name, actor="test")
    client.post("/admin/users", data={"username": "erin", "role": "reader", "groups": "finance"})
    client.post(
        "/admin/users/erin",
        data={"action": "profile", "role": "curator", "groups": ["finance", "pmo"]},
    )
    client.post("/admin/users/erin", data={"action": "active", "active": "0"})
    client.post("/admin/users/<script>", data={"action": "sessions"})  # 404, not logged

    response = client.get("/admin/audit")
    assert response.status_code == 200
    page = text(response)
    assert_inert(page)
    rows = re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>")[1], re.S)
    cells = [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in rows
    ]
    actions = [(c[1], c[2], c[3], c[4]) for c in cells]
    assert ("—", "login.failed", "dana", "10.9.8.7") in actions
    assert ("dana", "login", "dana", "10.9.8.7") in actions
    assert ("ada", "user.created", "erin", "127.0.0.1") in actions
    details = {c[2]: c[5] for c in cells if c[3] == "erin"}
    assert details["user.created"] == "role: reader; groups: finance"
    updates = [c[5] for c in cells if c[2] == "user.updated"]
    assert "active: True → False" in updates
    assert "role: reader → curator; groups: finance → finance, pmo" in updates
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", c[0]) for c in cells)
    limited = text(client.get("/admin/audit?limit=2"))
    assert limited.count("<tr>") == 3 and 'href="/admin/audit?limit=10"' in limited
