"""A process model's governance through the JSON API and the pages: the transitions route,
its refusals, the versions and their comparison, the buttons each viewer is offered."""

from __future__ import annotations

import pytest

MODEL = """---
title: Supplier onboarding
owner: owen.price
approvers: [owen.price, finance]
---

## Purpose

Register suppliers.

## Steps

### Buyer
1. **Collect the supplier's details.**
2. **Check sanctions lists.**
"""


@pytest.fixture
def model(login_as):
    """A contributor's draft model, and clients for its approvers, a reader and a curator."""
    cleo = login_as("contributor", "cleo")
    created = cleo.post("/api/processes", json={"markdown": MODEL})
    assert created.status_code == 201, created.json
    return {
        "id": created.json["id"],
        "cleo": cleo,
        "owen": login_as("reader", "owen.price"),
        "fiona": login_as("reader", "fiona", groups=["finance"]),
        "rita": login_as("reader", "rita"),
        "cora": login_as("curator", "cora"),
    }


def step(client, doc_id, action, **body):
    return client.post(f"/api/processes/{doc_id}/transitions", json={"action": action, **body})


def test_through_review_to_published_and_the_versions_compared(model):
    doc_id = model["id"]
    submitted = step(model["cleo"], doc_id, "submit")
    assert submitted.status_code == 200 and submitted.json["status"] == "in_review"
    assert submitted.json["steps"] == []  # nothing more for its author to do now
    waiting = model["owen"].get(f"/api/processes/{doc_id}/versions").json
    assert waiting["steps"] == ["approve", "request_changes"]
    assert [a["state"] for a in waiting["approvers"]] == ["waiting", "waiting"]
    assert step(model["owen"], doc_id, "approve").json["status"] == "in_review"
    approved = step(model["fiona"], doc_id, "approve").json
    assert approved["status"] == "approved"
    assert [(a["name"], a["state"], a["by"]) for a in approved["approvers"]] == [
        ("owen.price", "approved", "owen.price"),
        ("finance", "approved", "fiona"),
    ]
    refused = step(model["cora"], doc_id, "publish")
    assert refused.status_code == 400 and "change summary" in refused.json["error"]["message"]
    published = step(model["cora"], doc_id, "publish", summary="First version.").json
    assert published["status"] == "published"
    assert published["versions"][0]["number"] == 1
    assert published["versions"][0]["summary"] == "First version."
    # the next version: edited, reviewed, published
    current = model["cleo"].get(f"/api/processes/{doc_id}").json
    changed = current["markdown"].replace("Check sanctions lists.", "Screen sanctions.")
    put = model["cleo"].put(
        f"/api/processes/{doc_id}", json={"markdown": changed, "version": current["version"]}
    )
    assert put.status_code == 200 and put.json["status"] == "draft"
    seen = model["rita"].get(f"/processes/{doc_id}").get_data(as_text=True)
    assert "Check sanctions lists." in seen and "Screen sanctions." not in seen
    draft_number = put.json["version"]
    hidden = model["rita"].get(f"/api/processes/{doc_id}/revisions").json["revisions"]
    assert draft_number - 1 == max(r["number"] for r in hidden)  # the published one
    assert model["rita"].get(f"/processes/{doc_id}/revisions/{draft_number}").status_code == 404
    assert model["rita"].get(f"/api/processes/{doc_id}/revisions/{draft_number}").status_code == 404
    assert model["cleo"].get(f"/processes/{doc_id}/revisions/{draft_number}").status_code == 200
    assert f"Revision {draft_number}<" not in model["rita"].get(f"/processes/{doc_id}/history").text
    listed = model["rita"].get("/processes").get_data(as_text=True)
    assert "Published" in listed and "Next version draft" in listed
    draft = model["cleo"].get(f"/processes/{doc_id}").get_data(as_text=True)
    assert "Screen sanctions." in draft and "the draft of the next version" in draft
    read = model["rita"].get(f"/api/processes/{doc_id}").json
    assert read["status"] == "published" and "Check sanctions lists." in read["markdown"]
    assert b"Check sanctions lists." in model["rita"].get(f"/processes/{doc_id}.md").data
    assert "Screen sanctions." in model["owen"].get(f"/api/processes/{doc_id}").json["markdown"]
    own = model["cleo"].get(f"/api/processes/{doc_id}/versions/1/compare/draft").json
    assert own["steps"]["changed"][0]["fields"] == [
        {"field": "name", "before": "Check sanctions lists", "after": "Screen sanctions"}
    ]
    assert model["rita"].get(f"/api/processes/{doc_id}/versions/1/compare/draft").status_code == 404
    step(model["cleo"], doc_id, "submit")
    step(model["owen"], doc_id, "approve")
    step(model["fiona"], doc_id, "approve")
    step(model["owen"], doc_id, "publish", note="Sanctions screening")  # the owner publishes
    compared = model["rita"].get(f"/api/processes/{doc_id}/versions/1/compare/2")
    assert compared.status_code == 200
    assert "+2. **Screen sanctions.**" in compared.json["markdown_diff"]
    assert compared.json["steps"]["added"] == [] and compared.json["steps"]["removed"] == []
    page = model["rita"].get(f"/processes/{doc_id}/versions/1/compare/2").get_data(as_text=True)
    assert "Changed: step 2" in page and "Sanctions screening" in page
    listed = model["rita"].get(f"/processes/{doc_id}/versions").get_data(as_text=True)
    assert "First version." in listed and "<td>Version 2.0</td>" in listed and "(#" not in listed
    assert '<table class="history versions">' in listed
    assert '<h1>Versions <span class="sub">Supplier onboarding</span></h1>' in listed
    assert '<select id="compare-from" name="from">' in listed  # any two: a form, no URL
    assert '<option value="1" selected>Version 1.0</option>' in listed
    chosen = model["rita"].get(f"/processes/{doc_id}/versions?from=2&to=1")
    assert chosen.status_code == 302
    assert chosen.headers["Location"].endswith(f"/processes/{doc_id}/versions/2/compare/1")
    assert model["rita"].get(f"/api/processes/{doc_id}/versions/1/compare/9").status_code == 404
    retired = step(model["cora"], doc_id, "retire", note="Replaced by the group-wide process")
    assert retired.json["status"] == "retired" and retired.json["steps"] == []
    page = model["rita"].get(f"/processes/{doc_id}").get_data(as_text=True)
    assert "Retired." in page and "no longer in use" in page and "Screen sanctions." in page


def test_refusals_say_why_and_change_nothing(model):
    doc_id = model["id"]
    refused = step(model["rita"], doc_id, "submit")
    assert refused.status_code == 403
    assert "editors, owner and expert" in refused.json["error"]["message"]
    assert step(model["cleo"], doc_id, "approve").status_code == 400  # not in review
    assert step(model["cleo"], doc_id, "fly").status_code == 400
    stale = step(model["cleo"], doc_id, "submit", version=99)
    assert stale.status_code == 409
    assert model["cleo"].get(f"/api/processes/{doc_id}/versions").json["status"] == "draft"
    assert step(model["cleo"], "PM-9999", "submit").status_code == 404


def test_the_page_offers_each_viewer_their_steps(model):
    doc_id = model["id"]
    assert b"Submit for review" in model["cleo"].get(f"/processes/{doc_id}").data
    assert b"Submit for review" not in model["rita"].get(f"/processes/{doc_id}").data
    form = model["cleo"].post(
        f"/processes/{doc_id}/transitions", data={"action": "submit"}, follow_redirects=True
    )
    assert b"is submitted for review" in form.data
    fiona = model["fiona"].get(f"/processes/{doc_id}").get_data(as_text=True)
    assert "Approve" in fiona and "Ask for changes" in fiona and "waiting" in fiona
    assert b">Approve</button>" not in model["rita"].get(f"/processes/{doc_id}").data
    asked = model["fiona"].post(
        f"/processes/{doc_id}/transitions",
        data={"action": "request_changes", "note": ""},
        follow_redirects=True,
    )
    assert b"Status not changed" in asked.data  # the note is required
    other = model["rita"].post(f"/processes/{doc_id}/transitions", data={"action": "approve"})
    assert other.status_code == 403
