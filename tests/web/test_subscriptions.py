"""/admin/subscriptions: list, create (secret shown once), edit, switch, rotate, delivery log."""

from __future__ import annotations

import re
import socket

import pytest

from kb.context import subscriber_rules
from kb.events.jobs.models import HandlerRun
from kb.events.kinds.documents import LessonPublished
from kb.events.kinds.examples import example
from kb.events.log.services import append_event
from kb.events.webhooks import delivery as webhooks
from kb.events.webhooks import subscriptions

FORM = {
    "name": "BI warehouse",
    "url": "https://bi.example.org/hooks/kb",
    "types": "org.pmo.kb.lesson.*\r\norg.pmo.kb.review.opened",
}


def closed_port_url() -> str:
    """An address where nothing listens: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"


def test_create_shows_the_secret_once(client, kb, assert_inert):
    page = client.get("/admin/subscriptions")
    assert page.status_code == 200
    assert_inert(page.get_data(as_text=True))
    assert "No subscriptions yet." in page.get_data(as_text=True)

    created = client.post("/admin/subscriptions", data=FORM)
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    html = created.get_data(as_text=True)
    assert_inert(html)
    [sub] = subscriptions.list_subscriptions(kb.db)
    assert sub.types == ["org.pmo.kb.lesson.*", "org.pmo.kb.review.opened"]
    assert f'value="{sub.secret}"' in html and "not shown again" in html
    assert "Subscription BI warehouse created." in html

    for url in ("/admin/subscriptions", f"/admin/subscriptions/{sub.id}"):
        again = client.get(url).get_data(as_text=True)
        assert sub.secret not in again and "BI warehouse" in again, url
    listing = client.get("/admin/subscriptions").get_data(as_text=True)
    assert "https://bi.example.org/hooks/kb" in listing and "Active" in listing
    assert f'href="/admin/subscriptions/{sub.id}"' in listing


@pytest.mark.parametrize(
    ("url", "words"),
    [("ftp://bi.example.org/", "https://"), ("https://me:pw@bi.example.org/", "password")],
)
def test_invalid_input_keeps_the_form_and_says_why(client, kb, url, words):
    response = client.post("/admin/subscriptions", data={**FORM, "url": url})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'class="error-box"' in html and words in html
    assert f'value="{url}"' in html and "org.pmo.kb.review.opened" in html
    assert subscriptions.list_subscriptions(kb.db) == []


def test_edit_switch_and_rotate(client, kb):
    sub, secret = subscriptions.create_subscription(kb.db, name="BI", url="https://a.example/")
    base = f"/admin/subscriptions/{sub.id}"
    saved = client.post(base, data={"name": "BI prod", "url": "https://b.example/in", "types": ""})
    assert saved.status_code == 303 and saved.headers["Location"].endswith(base)
    after = subscriptions.get_subscription(kb.db, sub.id)
    assert (after.name, after.url, after.types) == ("BI prod", "https://b.example/in", [])
    assert "every kb event" in client.get("/admin/subscriptions").get_data(as_text=True)

    bad = client.post(base, data={"name": "BI prod", "url": "ftp://b.example/", "types": ""})
    assert bad.status_code == 400 and "https://" in bad.get_data(as_text=True)

    assert client.post(f"{base}/active", data={"active": "0"}).status_code == 303
    page = client.get(base).get_data(as_text=True)
    assert "Disabled by hand at" in page and ">Activate</button>" in page
    assert not subscriptions.get_subscription(kb.db, sub.id).is_active
    client.post(f"{base}/active", data={"active": "1"})
    assert subscriptions.get_subscription(kb.db, sub.id).is_active

    rotated = client.post(f"{base}/rotate")
    new = subscriptions.get_subscription(kb.db, sub.id).secret
    assert new != secret and f'value="{new}"' in rotated.get_data(as_text=True)
    assert rotated.headers["Cache-Control"] == "no-store"
    assert client.get("/admin/subscriptions/999").status_code == 404
    assert client.post("/admin/subscriptions/999/rotate").status_code == 404


def test_the_page_shows_the_delivery_log(client, kb):
    sub, _ = subscriptions.create_subscription(kb.db, name="BI", url=closed_port_url())
    with kb.db.write() as s:
        event = append_event(s, example(LessonPublished, id="LL-1"))
        s.flush()
        run = HandlerRun(event_seq=event.seq, handler=f"webhook:{sub.id}", status="running")
        s.add(run)
    with pytest.raises(webhooks.DeliveryFailed):
        webhooks.deliver(kb.db, run, event, rules=subscriber_rules(kb.db), timeout=5)

    html = client.get(f"/admin/subscriptions/{sub.id}").get_data(as_text=True)
    log = html[html.index("Delivery log") :]
    assert "org.pmo.kb.lesson.published" in log and event.event_id in log
    assert "connection refused" in log and "no answer" in log
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", log)
    listing = client.get("/admin/subscriptions").get_data(as_text=True)
    assert "no answer" in listing


def test_cross_site_posts_are_refused(client, kb):
    response = client.post(
        "/admin/subscriptions", data=FORM, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403
    assert subscriptions.list_subscriptions(kb.db) == []
