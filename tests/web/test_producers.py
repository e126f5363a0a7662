"""/admin/producers: list (never a secret), add (secret and token shown once), disable and
enable, rotate; validation on the form, 404 for unknown names, hostile input escaped."""

from __future__ import annotations

import html as htmllib
import re
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from kb.events.inbound import producers
from kb.events.inbound.producers import Unauthenticated

BODY = b'{"specversion": "1.0", "id": "evt-1", "type": "org.pmo.project.closed"}'


def shown(page: str, field: str) -> str:
    """The value of the read-only input `field` (secret-value, token-value)."""
    match = re.search(rf'id="{field}"[^>]*\svalue="([^"]*)"', page)
    assert match, field
    return htmllib.unescape(match.group(1))


def signed(secret: str) -> dict:
    now = datetime.now(UTC)
    signature = Webhook(secret).sign("msg-1", now, BODY.decode())
    return {
        "webhook-id": "msg-1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }


def bearer(token: str) -> dict:
    return {"authorization": f"Bearer {token}"}


def refused(kb, headers: dict) -> str:
    with pytest.raises(Unauthenticated) as caught:
        producers.authenticate(kb.db, headers, BODY)
    return caught.value.code


def test_the_list_shows_producers_and_never_a_secret(client, kb, assert_inert):
    empty = client.get("/admin/producers")
    assert empty.status_code == 200
    assert "No producers yet" in empty.get_data(as_text=True)
    assert 'href="/admin/producers"' in client.get("/").get_data(as_text=True)  # footer

    jira = producers.create_producer(kb.db, "jira-acme")
    audit = producers.create_producer(kb.db, "audit.register")
    producers.set_producer_active(kb.db, "audit.register", False)
    producers.authenticate(kb.db, bearer(jira.token), BODY)
    with kb.db.write() as s:  # what POST /api/events does after authenticating
        producers.touch(s, s.merge(producers.get_producer(kb.db, "jira-acme")))

    page = client.get("/admin/producers")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert_inert(html)
    assert 'href="/admin/producers/jira-acme"' in html
    assert 'href="/admin/producers/audit.register"' in html
    assert "Active" in html and "Disabled" in html and "never" in html
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", html)  # jira-acme's last use
    for creds in (jira, audit):
        assert creds.secret not in html and creds.token not in html
        detail = client.get(f"/admin/producers/{creds.name}").get_data(as_text=True)
        assert creds.secret not in detail and creds.token not in detail
        assert "Rotate secret and token" in detail
        assert '<a href="/admin/producers">Event producers</a>' in detail
        assert f'<span aria-current="page">{creds.name}</span>' in detail


def test_adding_shows_the_secret_and_token_once(client, kb, assert_inert):
    created = client.post("/admin/producers", data={"name": "jira-acme"})
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    html = created.get_data(as_text=True)
    assert_inert(html)
    assert "Producer jira-acme added." in html and "will not be shown again" in html
    assert "Authorization: Bearer &lt;token&gt;" in html and "docs/events.md" in html
    assert "webhook-signature" in html
    secret, token = shown(html, "secret-value"), shown(html, "token-value")
    assert secret.startswith("whsec_") and token.startswith(producers.TOKEN_PREFIX)

    # both really are this producer's credentials
    assert producers.authenticate(kb.db, signed(secret), BODY).name == "jira-acme"
    assert producers.authenticate(kb.db, bearer(token), BODY).name == "jira-acme"

    for url in ("/admin/producers", "/admin/producers/jira-acme"):
        again = client.get(url)
        assert again.status_code == 200, url
        text = again.get_data(as_text=True)
        assert secret not in text and token not in text and "jira-acme" in text, url
        assert "secret-value" not in text and "token-value" not in text, url


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("jira-acme", "already exists"),
        ("jira acme", "1-80 letters"),
        ("", "1-80 letters"),
        ("-jira", "starting with a letter or digit"),
        ("x" * 81, "1-80 letters"),
    ],
)
def test_invalid_names_keep_the_form_and_say_why(client, kb, name, words):
    producers.create_producer(kb.db, "jira-acme")
    response = client.post("/admin/producers", data={"name": name})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'class="error-box"' in html and words in html
    assert f'id="producer-name" name="name" value="{name}"' in html
    assert "secret-value" not in html and "token-value" not in html
    assert [p.name for p in producers.list_producers(kb.db)] == ["jira-acme"]


def test_disable_enable_and_rotate(client, kb):
    old = producers.create_producer(kb.db, "jira-acme")
    base = "/admin/producers/jira-acme"

    disabled = client.post(f"{base}/active", data={"active": "0"})
    assert disabled.status_code == 303 and disabled.headers["Location"].endswith(base)
    assert not producers.get_producer(kb.db, "jira-acme").is_active
    assert refused(kb, bearer(old.token)) == "producer_disabled"
    assert refused(kb, signed(old.secret)) == "producer_disabled"
    page = client.get(base).get_data(as_text=True)
    assert ">Enable</button>" in page and "Disabled" in page
    assert "Disabled" in client.get("/admin/producers").get_data(as_text=True)

    assert client.post(f"{base}/active", data={"active": "1"}).status_code == 303
    assert producers.get_producer(kb.db, "jira-acme").is_active
    assert producers.authenticate(kb.db, bearer(old.token), BODY).name == "jira-acme"
    assert ">Disable</button>" in client.get(base).get_data(as_text=True)

    rotated = client.post(f"{base}/rotate")
    assert rotated.status_code == 200 and rotated.headers["Cache-Control"] == "no-store"
    html = rotated.get_data(as_text=True)
    secret, token = shown(html, "secret-value"), shown(html, "token-value")
    assert (secret, token) != (old.secret, old.token) and "will not be shown again" in html
    assert refused(kb, bearer(old.token)) == "token_invalid"
    assert refused(kb, signed(old.secret)) == "signature_invalid"
    assert producers.authenticate(kb.db, bearer(token), BODY).name == "jira-acme"
    assert producers.authenticate(kb.db, signed(secret), BODY).name == "jira-acme"
    assert secret not in client.get(base).get_data(as_text=True)


def test_unknown_producers_are_404(client, kb):
    for response in (
        client.get("/admin/producers/nobody"),
        client.post("/admin/producers/nobody/rotate"),
        client.post("/admin/producers/nobody/active", data={"active": "0"}),
    ):
        assert response.status_code == 404
        assert "There is no producer named" in response.get_data(as_text=True)
    assert producers.list_producers(kb.db) == []


def test_hostile_names_are_escaped(client, kb, assert_inert):
    hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    response = client.post("/admin/producers", data={"name": hostile})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert_inert(html)
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert producers.list_producers(kb.db) == []

    missing = client.get("/admin/producers/%3Cscript%3Ealert(1)")
    assert missing.status_code == 404
    assert_inert(missing.get_data(as_text=True))
    assert "&lt;script&gt;alert(1)" in missing.get_data(as_text=True)


def test_cross_site_posts_are_refused(client, kb):
    creds = producers.create_producer(kb.db, "jira-acme")
    cross = {"Sec-Fetch-Site": "cross-site"}
    assert client.post("/admin/producers", data={"name": "evil"}, headers=cross).status_code == 403
    assert client.post("/admin/producers/jira-acme/rotate", headers=cross).status_code == 403
    off = client.post("/admin/producers/jira-acme/active", data={"active": "0"}, headers=cross)
    assert off.status_code == 403
    assert [p.name for p in producers.list_producers(kb.db)] == ["jira-acme"]
    assert producers.authenticate(kb.db, bearer(creds.token), BODY).is_active
