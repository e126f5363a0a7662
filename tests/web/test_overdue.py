"""Overdue is marked in words on every page where an action, a review or a process model
appears, and each list can keep only what is overdue (pages and API)."""

from __future__ import annotations

import re
from datetime import timedelta

from kb.accounts.viewer import SYSTEM
from kb.actions import services as actions
from kb.core.time import utcnow
from kb.documents import services as documents
from kb.projects.services import ensure_project
from kb.reviews.services import open_review

PROCESS = (
    "---\nid: PM-{n}\ntitle: Model {n}\nstatus: published\nowner: Head of PMO\n"
    "review_period_months: 12\nlast_reviewed: {last}\n---\n\nSteps.\n"
)


def text(response) -> str:
    """The page's words, without tags (a date is set in <time>)."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split()).replace(
        " ,", ","
    )


def label(day) -> str:
    return f"{day.day} {day:%b %Y}"


def test_overdue_actions_are_marked_and_filtered(client, kb, make_lesson):
    late, fine = make_lesson("Spec arrived late"), make_lesson("Kick-off went well")
    past = utcnow().date() - timedelta(days=3)
    future = utcnow().date() + timedelta(days=30)
    for doc, due in ((late, past), (fine, future)):
        actions.add_action(
            kb.db,
            doc.id,
            viewer=SYSTEM,
            description=f"Fix {doc.id}",
            owner="ada",
            due_on=due.isoformat(),
            target_kind="template",
            target_ref="T",
        )

    page = text(client.get(f"/lessons/{late.id}"))
    assert f"Overdue since {label(past)}" in page
    assert "Overdue since" not in text(client.get(f"/lessons/{fine.id}"))

    listed = text(client.get("/lessons?overdue=1"))
    assert late.id in listed and fine.id not in listed
    assert f"Action overdue since {label(past)}" in listed
    everything = text(client.get("/lessons"))
    assert fine.id in everything and f"Action overdue since {label(past)}" in everything

    rows = text(client.get("/actions?status=overdue"))
    assert f"Fix {late.id}" in rows and f"Fix {fine.id}" not in rows
    assert f"Fix {fine.id}" in text(client.get("/actions?mine=1"))

    api = client.get("/api/actions?status=overdue").get_json()["actions"]
    assert [(a["lesson"], a["overdue_since"]) for a in api] == [(late.id, past.isoformat())]
    assert client.get("/api/lessons?overdue=true").get_json()["total"] == 1
    assert client.get("/api/lessons?overdue=false").get_json()["total"] == 2
    tasks = text(client.get("/tasks"))
    assert "1 action past the due date" in tasks and "Nothing is overdue" not in tasks
    bad = client.get("/api/actions?status=late")
    assert bad.status_code == 400 and "status" in bad.get_json()["error"]["message"]


def test_process_models_and_reviews_past_due(client, kb):
    documents.create_document(
        kb.db, PROCESS.format(n="0201", last="2020-03-01"), actor="x", type_hint="process"
    )
    documents.create_document(
        kb.db,
        PROCESS.format(n="0202", last=utcnow().date().isoformat()),
        actor="x",
        type_hint="process",
    )
    listed = text(client.get("/processes?overdue=1"))
    assert "PM-0201" in listed and "PM-0202" not in listed
    assert "Review overdue since 1 Mar 2021" in listed
    assert "Review overdue since 1 Mar 2021" in text(client.get("/processes/PM-0201"))
    assert [d["id"] for d in client.get("/api/processes?overdue=1").get_json()["items"]] == [
        "PM-0201"
    ]

    due = utcnow().date() - timedelta(days=2)
    with kb.db.write() as s:
        for key, on in (("LATE", due), ("EARLY", due + timedelta(days=40))):
            ensure_project(s, key, f"Project {key}")
            open_review(s, key, due_on=on, facilitator=None, participants=[], closure_type=None)
    projects = text(client.get("/projects?overdue=1"))
    assert "LATE" in projects and "EARLY" not in projects
    assert f"Overdue since {label(due)}" in projects
    assert f"Overdue since {label(due)}" in text(client.get("/projects/LATE"))
    assert f"Overdue since {label(due)}" in text(client.get("/projects/LATE/review"))
    api = client.get("/api/reviews?overdue=true").get_json()["reviews"]
    assert [(r["project"], r["overdue_since"]) for r in api] == [("LATE", due.isoformat())]
    assert len(client.get("/api/reviews").get_json()["reviews"]) == 2
