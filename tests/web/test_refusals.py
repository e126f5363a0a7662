"""A refusal says why, in plain words, and whom to ask — on the error page and in the JSON —
and the pages never offer what the viewer would be refused."""

from __future__ import annotations

import dataclasses
import re

import pytest

from kb import create_app
from kb.accounts import services as accounts
from tests.conftest import sign_in


def words(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split()).replace(
        "&#39;", "'"
    )


@pytest.fixture
def pmo(kb):
    for name, display in (("cora", "Cora Curator"), ("carl", "Carl Curator")):
        accounts.create_user(
            kb.db,
            name,
            password="correct horse battery",
            role="curator",
            display_name=display,
            actor="test",
        )


def test_a_reader_is_told_why_and_whom_to_ask(login_as, pmo):
    reader = login_as("reader")
    page = reader.get("/lessons/new/form")
    assert page.status_code == 403
    text = words(page)
    assert "Only contributors and curators can write documents." in text
    assert "Ask the PMO: Carl Curator, Cora Curator." in text and "Refused" not in text

    api = reader.get("/lessons/new/form", headers={"Accept": "application/json"}).get_json()
    assert api["error"]["message"] == (
        "Only contributors and curators can write documents. "
        "Ask the PMO: Carl Curator, Cora Curator."
    )
    queue = words(login_as("contributor").get("/queue"))
    assert "Only curators (the PMO) can work from the curator's queue." in queue


def test_admin_pages_name_the_admins(login_as, pmo, make_user):
    make_user("ada", "admin")
    text = words(login_as("curator").get("/admin/users"))
    assert "Only admins can manage accounts. Ask an admin: ada." in text


def test_a_lifecycle_refusal_names_the_step_not_the_lesson(login_as, pmo, make_lesson):
    doc = make_lesson("Budget overrun in the finance stream", status="in_review")
    cleo = login_as("contributor")
    response = cleo.post(f"/api/lessons/{doc.id}/transitions", json={"to": "published"})
    assert response.status_code == 403
    message = response.get_json()["error"]["message"]
    assert (
        message
        == "Only curators (the PMO) can publish this lesson. Ask the PMO: Carl Curator, Cora Curator."
    )
    assert "Budget" not in message
    page = cleo.post(f"/lessons/{doc.id}/transitions", data={"to": "published"})
    assert "Only curators (the PMO) can publish this lesson." in words(page)


def test_the_configured_contact_is_named(config, pmo):
    app = create_app(dataclasses.replace(config, PMO_CONTACT="pmo@example.org"))
    try:
        user = accounts.create_user(
            app.extensions["kb"].db, "rita", password="correct horse battery", actor="test"
        )
        client = app.test_client()
        sign_in(client, user)
        assert "Ask the PMO: pmo@example.org." in words(client.get("/tasks"))
    finally:
        app.extensions["kb"].close()


def test_pages_offer_only_what_the_viewer_may_do(login_as, make_lesson, kb):
    doc = make_lesson("Spec late", status="in_review")
    reader = login_as("reader")
    for path in ("/", "/lessons", f"/lessons/{doc.id}", f"/lessons/{doc.id}/history"):
        text = reader.get(path).get_data(as_text=True)
        assert "/lessons/new" not in text and "/edit" not in text and "/restore" not in text, path
    assert "/transitions" not in reader.get(f"/lessons/{doc.id}").get_data(as_text=True)
    # a contributor who did not write it: no Edit, no curator's steps
    other = login_as("contributor").get(f"/lessons/{doc.id}").get_data(as_text=True)
    assert "/edit" not in other and 'value="published"' not in other
    assert "/lessons/new/form" in login_as("contributor").get("/lessons").get_data(as_text=True)
    curator = login_as("curator").get(f"/lessons/{doc.id}").get_data(as_text=True)
    assert "/edit/form" in curator and 'value="published"' in curator
