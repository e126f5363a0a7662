"""The review cycle in the pages and the API: health as a mark and a filter (lists, model and
project pages), "Reviewed, no change" from the model page, and "Processes I'm in" — the
published models naming the user's role or group in a lane, or them as owner, with what
changed since they last opened the model's page."""

from __future__ import annotations

import re
from datetime import timedelta

from kb.accounts.viewer import Viewer
from kb.core.time import utcnow
from kb.documents import services as documents
from kb.processes.governance import take_step

STEPS = (
    "## Steps\n\n### Project Manager\n1. **Agree the review date.**\n\n"
    "### Goods-in Operative\n2. **Unload and scan each pallet.**\n"
)


def model(
    kb, doc_id: str, *, last: str, status: str = "published", steps: str = STEPS, **extra
) -> None:
    head = "".join(f"{k}: {v}\n" for k, v in extra.items())
    source = (
        f"---\nid: {doc_id}\ntitle: Model {doc_id}\nstatus: {status}\nversion: '1.0'\n"
        f"project: ATLAS\nlast_reviewed: {last}\n{head}---\n\n{steps}"
    )
    documents.create_document(kb.db, source, actor="x", type_hint="process")


def text(response) -> str:
    words = " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())
    return re.sub(r" ([,.:)])", r"\1", words)


def test_health_marks_and_filters_lists_the_model_and_the_project_page(kb, client, make_project):
    make_project("ATLAS")
    today = utcnow().date()
    model(kb, "PM-0501", last="2020-03-01")  # red since 1 Mar 2021
    model(kb, "PM-0502", last=(today - timedelta(days=350)).isoformat())  # amber
    model(kb, "PM-0503", last=today.isoformat())  # green
    model(kb, "PM-0504", last="2020-03-01", status="retired")  # no health

    red = text(client.get("/processes?health=red"))
    assert "PM-0501" in red and "PM-0502" not in red and "Review overdue since 1 Mar 2021" in red
    amber = text(client.get("/processes?health=amber&project=ATLAS"))
    assert "PM-0502" in amber and "Review due" in amber and "PM-0503" not in amber
    assert "Review on time" in text(client.get("/processes?health=green"))
    assert "PM-0504" in text(client.get("/processes?health="))  # blank: any
    assert client.get("/processes?health=purple").status_code == 400

    listed = client.get("/api/processes?health=red").get_json()["items"]
    assert [(d["id"], d["health"], d["next_review"]) for d in listed] == [
        ("PM-0501", "red", "2021-03-01")
    ]
    every = {d["id"]: d["health"] for d in client.get("/api/processes").get_json()["items"]}
    assert every == {"PM-0501": "red", "PM-0502": "amber", "PM-0503": "green", "PM-0504": None}
    assert client.get("/api/processes?health=purple").status_code == 400

    project = text(client.get("/projects/ATLAS"))
    assert "Review health: 1 overdue, 1 due within 30 days, 1 on time." in project


def test_reviewed_no_change_from_the_model_page(kb, login_as, make_project):
    make_project("ATLAS")
    model(kb, "PM-0511", last="2020-03-01", owner="olga")
    olga = login_as("reader", "olga")
    page = text(olga.get("/processes/PM-0511"))
    assert "Reviewed, no change" in page and "Review overdue since 1 Mar 2021" in page
    other = login_as("contributor", "otto")
    assert "Reviewed, no change" not in text(other.get("/processes/PM-0511"))
    refused = other.post("/processes/PM-0511/reviewed")
    assert refused.status_code == 403 and "owner, expert or custodian" in text(refused)

    done = olga.post("/processes/PM-0511/reviewed")
    assert done.status_code == 303
    page = text(olga.get(done.location))
    assert "reviewed, no change, on" in page and "by olga (no change)" in page
    assert "Review on time" in page
    assert "Changed since you last looked" not in page  # her own change is no news to her
    answer = olga.post("/api/processes/PM-0511/reviewed", json={})
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["id"], body["reviewed_by"], body["health"]) == ("PM-0511", "olga", "green")
    assert body["reviewed_on"] == utcnow().date().isoformat()
    assert other.post("/api/processes/PM-0511/reviewed", json={}).status_code == 403
    assert olga.post("/api/processes/PM-0599/reviewed", json={}).status_code == 404


def test_processes_i_am_in_and_what_changed_since_i_last_looked(
    kb, login_as, make_project, make_user
):
    make_project("ATLAS")
    today = utcnow().date().isoformat()
    model(kb, "PM-0521", last=today, owner="cora")  # lanes Project Manager, Goods-in Operative
    only_goods_in = STEPS.split("### Goods-in")[0].replace("Project Manager", "Goods-in Operative")
    model(kb, "PM-0522", last=today, owner="olga", roles="[Buyer]", steps=only_goods_in)
    model(kb, "PM-0523", last=today, status="draft")  # not published
    model(kb, "PM-0524", last=today, visibility="restricted", groups="[finance]")
    pia = login_as("reader", "pia", groups=["project-managers"])
    olga = login_as("reader", "olga", groups=["buyers"])
    nobody = login_as("reader", "rita")
    page = text(pia.get("/"))
    assert "Processes I'm in" in page

    mine = pia.get("/api/me/processes").get_json()["processes"]
    assert [(p["id"], p["why"], p["last_look"], p["changed"]) for p in mine] == [
        ("PM-0521", ["role Project Manager"], None, False)
    ]
    assert "You have not opened it yet." in text(pia.get("/me/processes"))
    theirs = olga.get("/api/me/processes").get_json()["processes"]
    assert [(p["id"], p["why"]) for p in theirs] == [("PM-0522", ["role Buyer", "owner"])]
    assert nobody.get("/api/me/processes").get_json()["processes"] == []
    empty = text(nobody.get("/me/processes"))
    assert "No published process model names your role (reader) — you are in no group," in empty

    pia.get("/processes/PM-0521")  # opening the page records what she saw
    [seen] = pia.get("/api/me/processes").get_json()["processes"]
    assert seen["last_look"]["revision"] == 1 and not seen["changed"]
    assert "No change since you last looked" in text(pia.get("/me/processes"))

    doc = documents.get_document(kb.db, "PM-0521")
    source = documents.get_revision(kb.db, doc.id).markdown.replace("'1.0'", "'1.1'")
    documents.update_document(
        kb.db, doc.id, source, actor="cora", base_version=1, message="Adds a dock check"
    )
    # a draft of the next version: she still reads the published one, so nothing changed
    [drafted] = pia.get("/api/me/processes").get_json()["processes"]
    assert not drafted["changed"]
    make_user("cora", "curator")  # the owner, who approves alone, and publishes
    for step, note in (("submit", None), ("approve", None), ("publish", "Adds a dock check")):
        take_step(kb.db, doc.id, step, viewer=Viewer("cora", "curator"), note=note)
    [changed] = pia.get("/api/me/processes").get_json()["processes"]
    assert changed["changed"] and changed["last_look"]["model_version"] == "1.0"
    assert "Adds a dock check" in [c["message"] for c in changed["changes"]]
    listed = text(pia.get("/me/processes"))
    assert "Changed since you last looked" in listed and "version 1.0 → 2.0" in listed
    assert "Adds a dock check" in listed
    page = text(pia.get("/processes/PM-0521"))  # said once on the page, then recorded
    assert "Changed since you last looked" in page and "Adds a dock check" in page
    assert "Changed since you last looked" not in text(pia.get("/processes/PM-0521"))
    assert not pia.get("/api/me/processes").get_json()["processes"][0]["changed"]
