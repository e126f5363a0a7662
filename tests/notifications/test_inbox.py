"""The inbox in the pages and the API: the header's unread count, the /inbox page, GET
/api/inbox, marking read — each user only ever sees and marks their own."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from kb.accounts import services as accounts
from kb.accounts.models import AuditEntry
from kb.documents import services as documents
from kb.events.kinds.examples import example
from kb.events.kinds.processes import ProcessModelCustodianChanged
from kb.notifications.models import Notification

from .conftest import emit

PROCESS = "---\ntitle: {title}\nowner: Head of Procurement\n---\n\nSteps.\n"


@pytest.fixture
def told(kb, client):
    """Three notifications for ada (the signed-in admin, the PMO while there is no curator),
    oldest first."""
    ids = []
    for title in ("Vendor onboarding", "Cut-over", "Invoice approval"):
        doc = documents.create_document(
            kb.db, PROCESS.format(title=title), actor="x", type_hint="process"
        )
        emit(kb, example(ProcessModelCustodianChanged, id=doc.id, title=doc.title))
    with kb.db.read() as s:
        ids = list(
            s.scalars(
                select(Notification.id)
                .where(Notification.username == "ada")
                .order_by(Notification.id)
            )
        )
    assert len(ids) == 3
    return ids


def header_count(html: str) -> str | None:
    found = re.search(r'<a class="inbox-link"[^>]*aria-label="Inbox, (\d+) unread"', html)
    return found.group(1) if found else None


def test_the_header_shows_the_unread_count_with_one_query(kb, client, told):
    statements: list[str] = []

    def record(conn, cursor, statement, *args):  # noqa: ANN001
        if "notifications" in statement:
            statements.append(statement)

    sa_event.listen(kb.db.engine, "before_cursor_execute", record)
    try:
        html = client.get("/").get_data(as_text=True)
    finally:
        sa_event.remove(kb.db.engine, "before_cursor_execute", record)
    assert header_count(html) == "3"
    assert '<span class="inbox-count">3</span>' in html
    assert len(statements) == 1 and "count" in statements[0].lower()


def test_visitors_get_no_inbox_link(anon_client):
    html = anon_client.get("/login").get_data(as_text=True)
    assert "inbox-link" not in html and "Sign in" in html


def test_no_unread_shows_no_number(client):
    html = client.get("/").get_data(as_text=True)
    assert header_count(html) == "0" and "inbox-count" not in html


def test_inbox_page_lists_newest_first_and_marks_read(kb, client, told):
    html = client.get("/inbox").get_data(as_text=True)
    positions = [html.index(f'id="notification-{i}"') for i in reversed(told)]
    assert positions == sorted(positions)  # newest first
    assert html.count('class="inbox-item inbox-unread"') == 3
    assert 'href="/tasks"' in html and "Mark all read" in html
    assert 'name="csrf_token"' in html

    response = client.post(f"/inbox/{told[0]}/read")
    assert response.status_code == 303 and response.location.endswith("/inbox")
    html = client.get("/inbox").get_data(as_text=True)
    assert html.count('class="inbox-item inbox-unread"') == 2 and header_count(html) == "2"
    assert f'action="/inbox/{told[0]}/read"' not in html

    only_unread = client.get("/inbox?unread=1").get_data(as_text=True)
    assert f'id="notification-{told[0]}"' not in only_unread
    assert f'id="notification-{told[1]}"' in only_unread

    response = client.post("/inbox/read", data={"unread": "1"})
    assert response.status_code == 303 and response.location.endswith("/inbox?unread=1")
    html = client.get("/inbox").get_data(as_text=True)
    assert "inbox-unread" not in html and header_count(html) == "0"
    assert "Marked 2 notifications read." in html
    with kb.db.read() as s:
        actions = list(
            s.scalars(
                select(AuditEntry.action).where(AuditEntry.actor == "ada").order_by(AuditEntry.id)
            )
        )
    assert actions == ["inbox.read", "inbox.read_all"]


def test_someone_elses_notification_is_not_found(kb, login_as, told):
    other = login_as("curator", "cora")
    assert other.post(f"/inbox/{told[0]}/read").status_code == 404
    assert other.post(f"/api/inbox/{told[0]}/read").status_code == 404
    assert other.get("/api/inbox").json["items"] == []
    assert f"notification-{told[0]}" not in other.get("/inbox").get_data(as_text=True)
    with kb.db.read() as s:
        assert s.get(Notification, told[0]).read_at is None


def test_api_lists_filters_and_marks_read(client, told):
    body = client.get("/api/inbox").json
    assert body["unread"] == 3 and body["total"] == 3
    assert [i["id"] for i in body["items"]] == list(reversed(told))
    first = body["items"][-1]
    assert first["kind"] == "processmodel.custodian.changed" and first["link"] == "/tasks"
    assert first["is_read"] is False and first["read_at"] is None

    marked = client.post(f"/api/inbox/{told[0]}/read")
    assert marked.status_code == 200 and marked.json["is_read"] is True
    assert client.post(f"/api/inbox/{told[0]}/read").json["read_at"] == marked.json["read_at"]
    unread = client.get("/api/inbox?unread=1").json
    assert [i["id"] for i in unread["items"]] == [told[2], told[1]] and unread["unread"] == 2
    paged = client.get("/api/inbox?per_page=1&page=2").json
    assert [i["id"] for i in paged["items"]] == [told[1]] and paged["pages"] == 3

    assert client.post("/api/inbox/read").json == {"marked": 2, "unread": 0}
    assert client.get("/api/inbox").json["unread"] == 0
    assert client.post("/api/inbox/read").json == {"marked": 0, "unread": 0}


@pytest.mark.parametrize("query", ["per_page=0", "per_page=101", "page=0", "page=x"])
def test_api_refuses_bad_paging_with_a_message(client, query):
    response = client.get(f"/api/inbox?{query}")
    assert response.status_code == 400 and response.json["error"]["message"]


def test_api_unknown_notification_is_404_and_visitors_401(client, anon_client):
    assert client.post("/api/inbox/999999/read").status_code == 404
    assert anon_client.get("/api/inbox").status_code == 401


def test_tokens_read_their_users_inbox_and_only_write_tokens_mark_it(kb, app, told):
    _, read = accounts.create_token(kb.db, "ada", name="script", scope="read")
    _, write = accounts.create_token(kb.db, "ada", name="bot", scope="write")
    api = app.test_client()
    as_read = {"Authorization": f"Bearer {read}"}
    assert api.get("/api/inbox", headers=as_read).json["unread"] == 3
    refused = api.post(f"/api/inbox/{told[0]}/read", headers=as_read)
    assert refused.status_code == 403 and "read-only" in refused.json["error"]["message"]
    assert api.post("/api/inbox/read", headers=as_read).status_code == 403
    as_write = {"Authorization": f"Bearer {write}"}
    assert api.post(f"/api/inbox/{told[0]}/read", headers=as_write).json["is_read"] is True
    assert api.get("/api/inbox", headers=as_read).json["unread"] == 2
