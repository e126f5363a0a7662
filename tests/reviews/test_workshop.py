"""The closure review as a guided workshop: the page and its forms, progress, submitting,
who may do what, bad input, and the same through the API (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kb.accounts.models import AuditEntry
from kb.core.time import utcnow
from kb.documents import services as documents
from kb.documents.models import Document
from kb.events.log.models import Event
from kb.reviews import services as reviews
from kb.reviews.models import ReviewLesson

WENT_WELL = {
    "impact": "went_well",
    "title": "Daily cut-over calls kept everyone aligned",
    "what_happened": "We ran a 15-minute call every morning of the cut-over week.",
    "lesson": "Short daily calls surface blockers early.",
    "recommendation": "Hold daily cut-over calls from two weeks before go-live.",
    "topics": ["communications", "stakeholders"],
}
TO_IMPROVE = {
    "impact": "to_improve",
    "title": "Trial loads started late",
    "what_happened": "The first trial data load ran three weeks before go-live.",
    "root_cause": "Extracts from the old system were not ready.",
    "lesson": "Trial loads need their own early milestone.",
    "recommendation": "Plan the first trial load at the end of design.",
    "topics": "technical",
}


def lesson_json(form: dict) -> dict:
    sections = {k: v for k, v in form.items() if k not in ("impact", "title", "topics")}
    topics = form.get("topics", [])
    return {
        "impact": form["impact"],
        "title": form["title"],
        "sections": sections,
        "topics": [topics] if isinstance(topics, str) else topics,
    }


def kb_events(kb, suffix: str) -> list[Event]:
    with kb.db.read() as s:
        return list(
            s.scalars(select(Event).where(Event.type == f"org.pmo.kb.{suffix}").order_by(Event.seq))
        )


def snapshot(kb) -> dict:
    with kb.db.read() as s:
        return {
            "documents": s.scalar(select(func.count()).select_from(Document)),
            "links": s.scalar(select(func.count()).select_from(ReviewLesson)),
            "events": s.scalar(select(func.count()).select_from(Event)),
            "audit": s.scalar(select(func.count()).select_from(AuditEntry)),
            "statuses": sorted(s.scalars(select(Document.status))),
        }


@pytest.fixture
def harbour(close_project):
    """Closed today: due in 30 days, not overdue."""
    close_project("HARBOUR", closedAt=utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"))


@pytest.fixture
def pm(person, harbour):
    """The project manager: a reader whose e-mail is the review's facilitator."""
    return person("reader", "maria", "PM@example.org")


def test_the_workshop_page_guides_through_the_review(pm, kb):
    page = pm.get("/projects/harbour/review")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in (
        "Closure review",
        "Project HARBOUR",
        "pm@example.org",
        "a@example.org, b@example.org",
        "Step 1",
        "What went well",
        "Step 2",
        "What to improve",
        "Step 3",
        "Submit the review",
        "No lessons recorded yet; 0 submitted",
        "(you)",
        'name="what_happened"',
        'name="recommendation"',
        'value="change management"',
    ):
        assert text in html, text
    assert html.count('class="review-form"') == 2
    assert "overdue" not in html
    # the project page links to it
    project = pm.get("/projects/HARBOUR").get_data(as_text=True)
    assert "/projects/HARBOUR/review" in project and "Closure review (open" in project
    assert pm.get("/projects/NOPE/review").status_code == 404


def test_an_overdue_review_says_so(pm, kb):
    with kb.db.write() as s:
        review = reviews.current_review(s, "HARBOUR")
        review.due_on = review.due_on.replace(year=2020)
    page = pm.get("/projects/HARBOUR/review").get_data(as_text=True)
    assert "Overdue since" in page and " days)" in page


def test_the_facilitator_records_a_lesson_through_the_form(pm, kb):
    answer = pm.post("/projects/HARBOUR/review/lessons", data=WENT_WELL)
    assert answer.status_code == 303 and answer.location.endswith(
        "/projects/HARBOUR/review#went-well"
    )
    with kb.db.read() as s:
        link = s.scalars(select(ReviewLesson)).one()
    assert (link.impact, link.source, link.finding_id) == ("went_well", "workshop", None)
    assert link.review_id == reviews.get_review(kb.db, "HARBOUR").id
    doc = documents.get_document(kb.db, link.lesson_id)
    assert (doc.title, doc.status, doc.polarity, doc.project_key, doc.phase) == (
        WENT_WELL["title"],
        "draft",
        "success",
        "HARBOUR",
        "closure",
    )
    assert doc.topics == ["communications", "stakeholders"] and doc.created_by == "maria"
    markdown = documents.get_revision(kb.db, doc.id, 1).markdown
    assert "## What happened\n\nWe ran a 15-minute call" in markdown
    assert (
        markdown.index("## What happened")
        < markdown.index("## Lesson")
        < markdown.index("## Recommendation")
    )
    assert "## Root cause" not in markdown  # empty sections are left out
    created = kb_events(kb, "lesson.created")
    assert [(e.subject, e.data["actor"]) for e in created] == [(f"lessons/{doc.id}", "maria")]
    with kb.db.read() as s:
        audited = s.scalars(select(AuditEntry).where(AuditEntry.target == doc.id)).one()
    assert (audited.actor, audited.action) == ("maria", "lesson.created")

    html = pm.get("/projects/HARBOUR/review").get_data(as_text=True)
    assert WENT_WELL["title"] in html and doc.id in html
    assert "1 lesson: 1 complete; 0 submitted" in html


def test_progress_counts_complete_and_incomplete_lessons(pm, kb):
    pm.post("/projects/HARBOUR/review/lessons", data=WENT_WELL)
    pm.post("/projects/HARBOUR/review/lessons", data=TO_IMPROVE)
    rough = {
        "impact": "to_improve",
        "title": "Steering met too rarely",
        "what_happened": "Monthly steering missed two escalations.",
        "lesson": "Escalations need a faster path.",
    }
    assert pm.post("/projects/HARBOUR/review/lessons", data=rough).status_code == 303
    body = pm.get("/api/projects/HARBOUR/review").json
    assert body["progress"] == {
        "total": 3,
        "complete": 2,
        "incomplete": 1,
        "submitted": 0,
        "drafts": 3,
        "withdrawn": 0,
        "by_impact": {"went_well": 1, "to_improve": 2},
        "summary": "3 lessons: 2 complete, 1 needs a recommendation; 0 submitted",
    }
    assert [(x["impact"], x["complete"], x["missing"]) for x in body["lessons"]] == [
        ("went_well", True, []),
        ("to_improve", True, []),
        ("to_improve", False, ["Recommendation"]),
    ]
    assert "3 lessons: 2 complete, 1 needs a recommendation; 0 submitted" in pm.get(
        "/projects/HARBOUR/review"
    ).get_data(as_text=True)


def test_bad_input_shows_the_form_again_and_writes_nothing(pm, kb):
    before = snapshot(kb)
    bad = {**TO_IMPROVE, "title": "   ", "topics": ["technical", "vibes"], "what_happened": ""}
    answer = pm.post("/projects/HARBOUR/review/lessons", data=bad)
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert "The lesson was not recorded" in html and "Give the lesson a title." in html
    assert "Not a topic: vibes" in html and "Say what happened" in html
    assert TO_IMPROVE["root_cause"] in html  # what was typed is kept
    assert (
        pm.post("/projects/HARBOUR/review/lessons", data={**WENT_WELL, "impact": "meh"}).status_code
        == 400
    )
    heading = {**WENT_WELL, "lesson": "Fine.\n## Sneaky heading\nmore"}
    assert "cannot contain its own" in pm.post(
        "/projects/HARBOUR/review/lessons", data=heading
    ).get_data(as_text=True)
    too_long = {**WENT_WELL, "title": "x" * 201}
    assert pm.post("/projects/HARBOUR/review/lessons", data=too_long).status_code == 400
    assert snapshot(kb) == before


def test_who_may_record_and_submit(person, harbour, anon_client, kb):
    outsider = person("reader", "otto", "otto@example.org")
    participant = person("reader", "anna", "a@example.org")
    contributor = person("contributor", "cleo")
    curator = person("curator", "cora")
    before = snapshot(kb)
    assert outsider.post("/projects/HARBOUR/review/lessons", data=WENT_WELL).status_code == 403
    assert outsider.post("/projects/HARBOUR/review/submit").status_code == 403
    api = outsider.post("/api/projects/HARBOUR/review/lessons", json=lesson_json(WENT_WELL))
    assert api.status_code == 403 and api.json["error"]["code"] == "forbidden"
    assert anon_client.post("/projects/HARBOUR/review/lessons", data=WENT_WELL).status_code in (
        302,
        401,
    )
    assert "Record a lesson" not in outsider.get("/projects/HARBOUR/review").get_data(as_text=True)
    assert snapshot(kb) == before

    assert participant.post("/projects/HARBOUR/review/lessons", data=WENT_WELL).status_code == 303
    assert contributor.post("/projects/HARBOUR/review/lessons", data=TO_IMPROVE).status_code == 303
    # recording is not submitting: neither a participant nor a contributor submits
    assert participant.post("/projects/HARBOUR/review/submit").status_code == 403
    assert contributor.post("/api/projects/HARBOUR/review/submit").status_code == 403
    assert reviews.get_review(kb.db, "HARBOUR").status == "open"
    assert curator.post("/projects/HARBOUR/review/submit").status_code == 303
    assert reviews.get_review(kb.db, "HARBOUR").status == "completed"


def test_submitting_submits_every_draft_and_completes_the_review(pm, person, kb):
    pm.post("/projects/HARBOUR/review/lessons", data=WENT_WELL)
    pm.post("/projects/HARBOUR/review/lessons", data=TO_IMPROVE)
    ids = [x["id"] for x in pm.get("/api/projects/HARBOUR/review").json["lessons"]]
    answer = pm.post("/projects/HARBOUR/review/submit")
    assert answer.status_code == 303
    page = pm.get(answer.location).get_data(as_text=True)
    assert "2 lessons went to the curators" in page and "2 lessons: 2 complete; 2 submitted" in page
    assert "Record a lesson" not in page
    assert [documents.get_document(kb.db, i).status for i in ids] == ["submitted", "submitted"]
    review = reviews.get_review(kb.db, "HARBOUR")
    assert (review.status, review.completed_by) == ("completed", "maria")
    submitted = kb_events(kb, "lesson.submitted")
    assert [e.data["id"] for e in submitted] == ids and {e.data["actor"] for e in submitted} == {
        "maria"
    }
    completed = kb_events(kb, "review.completed")
    assert len(completed) == 1 and completed[0].data["lessons"] == ids
    assert completed[0].data["completed_by"] == "maria"
    with kb.db.read() as s:
        audited = s.scalars(select(AuditEntry.action).where(AuditEntry.actor == "maria")).all()
    assert audited.count("lesson.submitted") == 2 and "review.completed" in audited

    # a completed review takes no more lessons and cannot be submitted again
    late = pm.post("/projects/HARBOUR/review/lessons", data=WENT_WELL)
    assert late.status_code == 303
    assert "completed" in pm.get(late.location).get_data(as_text=True)
    again = pm.post("/api/projects/HARBOUR/review/submit")
    assert again.status_code == 409
    assert len(kb_events(kb, "review.completed")) == 1


def test_an_incomplete_draft_holds_back_the_whole_submission(pm, kb):
    pm.post("/projects/HARBOUR/review/lessons", data=WENT_WELL)
    pm.post(
        "/projects/HARBOUR/review/lessons", data={**TO_IMPROVE, "recommendation": "", "lesson": ""}
    )
    before = snapshot(kb)
    answer = pm.post("/projects/HARBOUR/review/submit")
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert "The review was not submitted" in html and "lesson, recommendation" in html
    assert snapshot(kb) == before  # not even the complete one was submitted
    assert reviews.get_review(kb.db, "HARBOUR").status == "open"


def test_an_empty_review_cannot_be_submitted(pm, kb):
    answer = pm.post("/api/projects/HARBOUR/review/submit")
    assert answer.status_code == 400 and "at least one lesson" in answer.json["error"]["message"]
    assert reviews.get_review(kb.db, "HARBOUR").status == "open"


def test_the_workshop_api(pm, person, kb, make_lesson):
    make_lesson("Not recorded in the review", project="HARBOUR")
    created = pm.post("/api/projects/harbour/review/lessons", json=lesson_json(TO_IMPROVE))
    assert created.status_code == 201
    lesson = created.json
    assert (lesson["title"], lesson["status"], lesson["polarity"], lesson["phase"]) == (
        TO_IMPROVE["title"],
        "draft",
        "problem",
        "closure",
    )
    assert (lesson["impact"], lesson["source"], lesson["complete"]) == (
        "to_improve",
        "workshop",
        True,
    )
    assert lesson["topics"] == ["technical"] and lesson["project"] == "HARBOUR"

    bad = pm.post(
        "/api/projects/HARBOUR/review/lessons",
        json={"impact": "went_well", "title": "", "sections": {"lesson": 3, "x": "y"}},
    )
    assert bad.status_code == 400
    fields = bad.json["error"]["details"]["fields"]
    assert set(fields) == {"title", "sections", "lesson", "what_happened"}
    assert pm.post("/api/projects/HARBOUR/review/lessons", data="no json").status_code == 400
    assert (
        pm.post("/api/projects/NOPE/review/lessons", json=lesson_json(WENT_WELL)).status_code == 404
    )

    body = pm.get("/api/projects/HARBOUR/review").json
    assert [x["title"] for x in body["lessons"]] == [TO_IMPROVE["title"]]
    assert (body["may_record"], body["may_submit"], body["origin"]) == (True, True, "closure")
    assert body["progress"]["summary"] == "1 lesson: 1 complete; 0 submitted"
    reader = person("reader", "rita")
    assert reader.get("/api/projects/HARBOUR/review").json["may_record"] is False

    done = pm.post("/api/projects/HARBOUR/review/submit")
    assert done.status_code == 200
    assert (done.json["status"], done.json["progress"]["submitted"]) == ("completed", 1)
    assert done.json["lessons"][0]["status"] == "submitted"
    paths = pm.get("/api/openapi.json").json["paths"]
    assert {"/api/projects/{key}/review/lessons", "/api/projects/{key}/review/submit"} <= set(paths)
