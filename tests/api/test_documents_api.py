"""The JSON API: CRUD, revisions, errors as JSON, the OpenAPI document."""

from __future__ import annotations

import re

import pytest


def create(client, lesson_md, **fields):
    response = client.post("/api/lessons", json={"markdown": lesson_md(**fields)})
    assert response.status_code == 201, response.json
    return response.json


def test_create_get_update_and_revisions(client, lesson_md):
    doc = create(client, lesson_md)
    assert doc["id"] == "LL-2025-0001" and doc["version"] == 1
    got = client.get(f"/api/lessons/{doc['id']}").json
    assert got["markdown"].startswith("---\nid: LL-2025-0001\n") and "<h2" in got["html"]
    new = got["markdown"].replace("late", "late again")
    put = client.put(f"/api/lessons/{doc['id']}", json={"markdown": new, "version": 1})
    assert put.status_code == 200 and put.json["version"] == 2
    revs = client.get(f"/api/lessons/{doc['id']}/revisions").json["revisions"]
    assert [r["number"] for r in revs] == [2, 1]
    one = client.get(f"/api/lessons/{doc['id']}/revisions/1").json
    assert one["markdown"] == got["markdown"]


def test_create_from_fields(client):
    response = client.post(
        "/api/processes",
        json={
            "title": "Supplier invoice approval (to-be)",
            "state": "to-be",
            "model_version": "2.0",
            "owner": "Head of Finance Operations",
            "roles": ["Clerk", "Approver"],
            "review_period_months": 6,
            "body": "## Purpose\n\nPay on time.\n",
        },
    )
    assert response.status_code == 201, response.json
    doc = response.json
    assert doc["id"] == "PM-0001" and doc["state"] == "to-be" and doc["model_version"] == "2.0"
    assert doc["extra"] == {"roles": ["Clerk", "Approver"]}
    assert response.headers["Location"].endswith("/api/processes/PM-0001")


def test_stale_or_missing_version_is_refused(client, lesson_md):
    doc = create(client, lesson_md)
    body = {"markdown": doc["markdown"]}
    assert client.put(f"/api/lessons/{doc['id']}", json=body).status_code == 428
    assert client.put(f"/api/lessons/{doc['id']}", json={**body, "version": 1}).status_code == 200
    stale = client.put(f"/api/lessons/{doc['id']}", json={**body, "version": 1})
    assert stale.status_code == 409
    assert stale.json["error"]["details"]["current_version"] == 2
    assert (
        client.put(f"/api/lessons/{doc['id']}", json=body, headers={"If-Match": '"2"'}).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"markdown": "---\ntitle: [x\n---\n"}, 400, "YAML"),
        ({"markdown": 42}, 400, "string"),
        ({"title": "x", "colour": "red"}, 400, "colour"),
        ({"title": "x", "status": "done"}, 400, "status"),
        ({"markdown": "---\ntitle: x\n---\n" + "a" * (1024 * 1024)}, 413, "limit"),
    ],
)
def test_bad_input_is_a_json_4xx(client, body, status, words):
    response = client.post("/api/lessons", json=body)
    assert response.status_code == status
    assert words in response.json["error"]["message"]
    assert client.get("/api/lessons").json["total"] == 0


def test_not_json_and_unknown_things(client):
    assert client.post("/api/lessons", data="x", content_type="text/plain").status_code == 400
    missing = client.get("/api/lessons/LL-2025-9999")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    assert client.get("/api/nothing-here").json["error"]["code"] == "not_found"
    assert client.delete("/api/lessons").status_code == 405


def test_a_lesson_is_not_found_under_processes(client, lesson_md):
    doc = create(client, lesson_md)
    assert client.get(f"/api/processes/{doc['id']}").status_code == 404


def test_list_filters_and_pagination(client, lesson_md):
    create(client, lesson_md, title="A", tags="[vendor]")
    create(client, lesson_md, title="B", phase="testing", tags="[other]")
    listed = client.get("/api/lessons?tag=vendor").json
    assert [d["title"] for d in listed["items"]] == ["A"]
    assert client.get("/api/lessons?per_page=1&page=2&sort=title").json["items"][0]["title"] == "B"
    assert client.get("/api/lessons?page=x").status_code == 400


def test_search_api_shape_and_errors(client, kb, lesson_md):
    create(client, lesson_md)
    kb.projection.catch_up()
    found = client.get("/api/search?q=vendor&type=lesson").json
    assert found["total"] == 1 and found["hits"][0]["id"] == "LL-2025-0001"
    assert "<mark>" in found["hits"][0]["snippet"]
    assert {"type", "topic", "phase", "project", "tag"} <= set(found["facets"])
    assert "suggestion" in found
    for bad in ['"unclosed', "(a", "*", "x" * 5000]:
        response = client.get("/api/search", query_string={"q": bad})
        assert response.status_code == 400 and response.json["error"]["message"]


def test_projects_api(client, lesson_md):
    create(client, lesson_md)
    projects = client.get("/api/projects").json["projects"]
    assert projects[0]["key"] == "ATLAS" and projects[0]["lessons"] == 1
    assert client.get("/api/projects/ATLAS").json["lessons"][0]["id"] == "LL-2025-0001"
    assert client.get("/api/projects/NOPE").status_code == 404


def test_healthz(client):
    body = client.get("/healthz").json
    assert body["status"] == "ok" and body["database"] == "ok"


def test_every_api_route_is_in_the_openapi_document(app, client):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, f"{method} {path} is not in openapi.json"
