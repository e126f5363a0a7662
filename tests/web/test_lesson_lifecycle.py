"""The lesson lifecycle in the pages and the API: buttons, transitions, the queue."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def cleo(login_as):
    return login_as("contributor", "cleo")


@pytest.fixture
def cora(login_as):
    return login_as("curator", "cora")


def new_lesson(client, lesson_md, **fields):
    response = client.post(
        "/api/lessons", json={"markdown": lesson_md("Late spec", status="draft", **fields)}
    )
    assert response.status_code == 201, response.json
    return response.json


def test_api_walks_a_lesson_through(cleo, cora, lesson_md):
    lesson = new_lesson(cleo, lesson_md)
    url = f"/api/lessons/{lesson['id']}/transitions"
    assert cleo.get(f"/api/lessons/{lesson['id']}").json["transitions"] == ["submitted"]
    r = cleo.post(url, json={"to": "submitted", "version": 1})
    assert r.status_code == 200 and r.json["status"] == "submitted" and r.json["version"] == 2
    assert r.json["transitions"] == []
    assert "status: submitted" in r.json["markdown"]
    assert cleo.post(url, json={"to": "in_review"}).status_code == 403
    assert cora.get(f"/api/lessons/{lesson['id']}").json["transitions"] == [
        "in_review",
        "rejected",
        "merged",
    ]
    assert cora.post(url, json={"to": "in_review", "version": 1}).status_code == 409
    assert cora.post(url, json={"to": "in_review"}).json["status"] == "in_review"
    bad = cora.post(url, json={"to": "verified"})
    assert bad.status_code == 400 and bad.json["error"]["details"]["allowed"] == [
        "published",
        "rejected",
        "merged",
    ]
    assert cora.post(url, json={"to": "rejected"}).json["error"]["field"] == "reason"
    assert cora.post(url, json={}).status_code == 400
    assert cora.post(url, json={"to": "published", "reason": "Good"}).json["status"] == "published"
    events = cora.get("/api/events?type=org.pmo.kb.lesson.published")
    assert events.status_code == 200


def test_api_roles_and_hiding(login_as, cleo, lesson_md):
    lesson = new_lesson(cleo, lesson_md, visibility="restricted", groups="[hr]")
    url = f"/api/lessons/{lesson['id']}/transitions"
    assert login_as("reader").post(url, json={"to": "submitted"}).status_code == 403
    assert (
        login_as("contributor", groups=["finance"]).post(url, json={"to": "submitted"}).status_code
        == 404
    )
    assert (
        login_as("contributor", groups=["hr"]).post(url, json={"to": "submitted"}).status_code
        == 403
    )


def test_openapi_documents_transitions(client):
    spec = client.get("/api/openapi.json").json
    assert "post" in spec["paths"]["/api/lessons/{doc_id}/transitions"]


def test_page_buttons_and_form(cleo, cora, lesson_md, assert_inert):
    lesson = new_lesson(cleo, lesson_md)
    page = cleo.get(f"/lessons/{lesson['id']}").get_data(as_text=True)
    assert "Submit for review" in page and "Publish" not in page
    assert f'action="/lessons/{lesson["id"]}/transitions"' in page
    assert_inert(page)
    r = cleo.post(f"/lessons/{lesson['id']}/transitions", data={"to": "submitted", "version": "1"})
    assert r.status_code == 303 and r.location.endswith(f"/lessons/{lesson['id']}")
    page = cora.get(f"/lessons/{lesson['id']}").get_data(as_text=True)
    assert "Start review" in page and "Reject" in page and "Merge into" in page
    assert re.search(r'name="reason"[^>]*required', page)  # rejecting needs a reason
    # a refusal comes back as a message on the lesson page
    r = cora.post(
        f"/lessons/{lesson['id']}/transitions", data={"to": "rejected"}, follow_redirects=True
    )
    assert "Status not changed" in r.get_data(as_text=True)
    assert (
        cleo.post(f"/lessons/{lesson['id']}/transitions", data={"to": "in_review"}).status_code
        == 403
    )
    r = cora.post(f"/lessons/{lesson['id']}/transitions", data={"to": "in_review", "version": "2"})
    assert r.status_code == 303
    assert cora.get(f"/api/lessons/{lesson['id']}").json["status"] == "in_review"
    assert (
        cora.post("/lessons/LL-2025-9999/transitions", data={"to": "submitted"}).status_code == 404
    )


def test_page_form_carries_csrf_token(app, cleo, lesson_md):
    app.config["WTF_CSRF_ENABLED"] = True
    lesson = cleo.post(
        "/api/lessons",
        json={"markdown": lesson_md("Late spec", status="draft")},
    )  # the JSON API needs the header token when CSRF is on
    assert lesson.status_code == 400
    app.config["WTF_CSRF_ENABLED"] = False
    lesson = new_lesson(cleo, lesson_md)
    app.config["WTF_CSRF_ENABLED"] = True
    page = cleo.get(f"/lessons/{lesson['id']}").get_data(as_text=True)
    assert 'name="csrf_token"' in page
    assert (
        cleo.post(f"/lessons/{lesson['id']}/transitions", data={"to": "submitted"}).status_code
        == 400
    )


def test_queue_page(login_as, cleo, cora, lesson_md, assert_inert):
    lesson = new_lesson(cleo, lesson_md)
    cleo.post(f"/api/lessons/{lesson['id']}/transitions", json={"to": "submitted"})
    page = cora.get("/queue")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert lesson["id"] in text and "cleo" in text and "a curator to triage it" in text
    assert "under an hour" in text
    assert_inert(text)
    assert cleo.get("/queue").status_code == 403
