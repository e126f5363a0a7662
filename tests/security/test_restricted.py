"""A restricted lesson, seen by an outsider, a group member, its creator, a curator and an
anonymous visitor — through every channel that could show it."""

from __future__ import annotations

import pytest

SECRET_WORD = "zanzibarite"
SECRET = f"""---
title: Supplier dispute settled out of court {SECRET_WORD}
project: ATLAS
tags: [dispute, {SECRET_WORD}]
topics: [procurement]
visibility: restricted
groups: [finance]
---

## Summary

The {SECRET_WORD} arbitration ended with a settlement of EUR 240,000.
"""
OPEN = """---
title: Supplier onboarding checklist saved weeks
project: ATLAS
tags: [dispute, onboarding]
topics: [procurement]
---

## Summary

A supplier onboarding checklist and an early dispute clause saved six weeks.
"""


@pytest.fixture
def people(app, kb, login_as, make_project):
    make_project("ATLAS")  # registered by its project tool, not by the restricted lesson
    cleo = login_as("contributor", "cleo")
    secret = cleo.post("/api/lessons", json={"markdown": SECRET}).json["id"]
    cleo.post("/api/lessons", json={"markdown": OPEN})
    kb.projection.catch_up()
    return {
        "id": secret,
        "outsider": login_as("reader", "sam", groups=["legal"]),
        "member": login_as("reader", "fay", groups=["finance"]),
        "creator": cleo,
        "curator": login_as("curator", "cur"),
        "anonymous": app.test_client(),
    }


def pages(doc_id: str) -> list[tuple[str, str]]:
    return [
        ("GET", f"/lessons/{doc_id}"),
        ("GET", f"/lessons/{doc_id}.md"),
        ("GET", f"/lessons/{doc_id}/history"),
        ("GET", f"/lessons/{doc_id}/diff?a=1&b=1"),
        ("GET", f"/lessons/{doc_id}/revisions/1"),
        ("GET", f"/lessons/{doc_id}/edit"),
        ("POST", f"/lessons/{doc_id}/revisions/1/restore"),
        ("GET", f"/api/lessons/{doc_id}"),
        ("GET", f"/api/lessons/{doc_id}/revisions"),
        ("GET", f"/api/lessons/{doc_id}/revisions/1"),
        ("PUT", f"/api/lessons/{doc_id}"),
    ]


@pytest.mark.parametrize("who", ["outsider", "anonymous-reading"])
def test_outsiders_get_404_everywhere_as_if_it_did_not_exist(app, people, who):
    if who == "anonymous-reading":
        app.config["KB_ANONYMOUS_READ"] = True
        client = people["anonymous"]
    else:
        client = people[who]
    for method, url in pages(people["id"]):
        body = {"json": {"markdown": "x", "version": 1}} if method == "PUT" else {}
        secret = client.open(url, method=method, **body)
        nothing = client.open(url.replace(people["id"], "LL-2099-9999"), method=method, **body)
        # the same answer as for an id that does not exist: existence is not revealed
        assert (secret.status_code, SECRET_WORD in secret.get_data(as_text=True)) == (
            nothing.status_code,
            False,
        ), f"{method} {url}"
        if method == "GET" and not url.endswith("/edit"):
            assert secret.status_code == 404, f"{method} {url}: {secret.status_code}"


@pytest.mark.parametrize("who", ["outsider", "anonymous-reading"])
def test_outsiders_see_no_trace_in_lists_counts_search_or_related(app, people, who):
    if who == "anonymous-reading":
        app.config["KB_ANONYMOUS_READ"] = True
    client = people["anonymous" if who != "outsider" else "outsider"]
    seen = []
    for url in [
        "/",
        "/lessons",
        "/lessons?tag=dispute",
        "/projects",
        "/projects/ATLAS",
        "/api/lessons",
        "/api/lessons?tag=dispute",
        "/api/projects",
        "/api/projects/ATLAS",
        f"/search?q={SECRET_WORD}",
        f"/search?q={SECRET_WORD[:-1]}x",
        "/search?q=tag:dispute",
        f"/api/search?q={SECRET_WORD}",
        "/api/search?q=supplier",
        "/api/search?q=arbitraton",
    ]:
        text = client.get(url).get_data(as_text=True)
        if SECRET_WORD in url:  # the page repeats what was typed; the document must not show
            text = text.replace(SECRET_WORD, "").replace(SECRET_WORD[:-1] + "x", "")
        if SECRET_WORD in text or people["id"] in text or "arbitration" in text:
            seen.append(url)
    assert seen == []
    found = client.get("/api/search?q=supplier").json
    assert found["total"] == 1
    assert {f["value"]: f["count"] for f in found["facets"]["tag"]}["dispute"] == 1
    assert client.get("/api/projects").json["projects"][0]["lessons"] == 1
    open_id = found["hits"][0]["id"]
    assert people["id"] not in client.get(f"/lessons/{open_id}").get_data(as_text=True)


@pytest.mark.parametrize("who", ["member", "creator", "curator"])
def test_insiders_see_it(people, who):
    client = people[who]
    assert client.get(f"/lessons/{people['id']}").status_code == 200
    assert client.get(f"/api/lessons/{people['id']}").json["title"].endswith(SECRET_WORD)
    assert client.get(f"/api/search?q={SECRET_WORD}").json["total"] == 1
    assert client.get("/api/search?q=supplier").json["total"] == 2
    assert client.get(f"/api/search?q={SECRET_WORD[:-1]}x").json["suggestion"] == SECRET_WORD


def test_anonymous_visitors_read_nothing_unless_the_setting_allows(app, people):
    client = people["anonymous"]
    assert client.get("/lessons").status_code == 302
    assert client.get("/api/lessons").status_code == 401
    app.config["KB_ANONYMOUS_READ"] = True
    assert client.get("/lessons").status_code == 200
    assert client.get("/api/lessons").json["total"] == 1
    assert client.post("/api/lessons", json={"markdown": OPEN}).status_code == 401
