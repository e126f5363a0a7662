"""The drafts of a review never dead-end it: the facilitator and participants complete, edit and
withdraw every draft, whoever drafted it (kb from an audit finding, another participant);
nobody else gains a right; a restricted draft stays hidden (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kb.accounts.models import AuditEntry
from kb.accounts.viewer import SYSTEM
from kb.core.errors import Forbidden
from kb.core.time import utcnow
from kb.documents import lifecycle
from kb.documents import services as documents
from kb.documents.models import Document
from kb.events.log.models import Event
from kb.reviews import services as reviews
from kb.reviews.drafts import sections_of, with_sections
from kb.reviews.models import ReviewLesson

from .test_audits import audit_event, kb_events, links

LESSON = "Approvals belong in the tool, not in e-mail."
RECOMMENDATION = "Configure four-eyes approval before go-live."
WENT_WELL = {
    "impact": "went_well",
    "title": "Daily cut-over calls kept everyone aligned",
    "what_happened": "We ran a 15-minute call every morning of the cut-over week.",
    "lesson": "Short daily calls surface blockers early.",
    "recommendation": "Hold daily cut-over calls from two weeks before go-live.",
}


def snapshot(kb) -> dict:
    with kb.db.read() as s:
        return {
            "documents": sorted(
                s.execute(select(Document.id, Document.version, Document.status)).all()
            ),
            "events": s.scalar(select(func.count()).select_from(Event)),
            "audit": s.scalar(select(func.count()).select_from(AuditEntry)),
        }


@pytest.fixture
def audited(kb, close_project, post) -> list[str]:
    """HARBOUR closed today (facilitator pm@, participants a@ and b@), then audited: kb drafted
    two findings into its review, each lacking the lesson. Their ids."""
    close_project("HARBOUR", closedAt=utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"))
    post(audit_event())
    return [link.lesson_id for link in links(kb)]


@pytest.fixture
def people(person, audited) -> dict:
    return {
        "facilitator": person("reader", "maria", "PM@example.org"),
        "participant": person("reader", "anna", "a@example.org"),
        "contributor": person("contributor", "cleo", "cleo@example.org"),
        "reader": person("reader", "otto", "otto@example.org"),
    }


def send_form(kb, client, doc_id: str, **fields):
    """The review page's form for `doc_id` as the page fills it, with `fields` changed."""
    doc = documents.get_document(kb.db, doc_id)
    shown = sections_of(documents.get_revision(kb.db, doc_id).markdown)
    data = {"version": doc.version, "title": doc.title, **shown, **fields}
    return client.post(f"/projects/HARBOUR/review/lessons/{doc_id}", data=data)


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("facilitator", True), ("participant", True), ("contributor", False), ("reader", False)],
)
def test_who_may_complete_edit_and_withdraw_a_draft(kb, person, people, audited, who, allowed):
    """Each person × complete / edit / withdraw × a draft kb wrote from an audit finding and a
    draft another participant (b@) recorded."""
    bella = person("reader", "bella", "b@example.org")
    assert bella.post("/projects/HARBOUR/review/lessons", data=WENT_WELL).status_code == 303
    by_bella = next(link.lesson_id for link in links(kb) if link.source == "workshop")
    client = people[who]
    for doc_id in (audited[0], by_bella):
        before = snapshot(kb)
        completed = send_form(kb, client, doc_id, lesson=LESSON, recommendation=RECOMMENDATION)
        edited = send_form(kb, client, doc_id, title=f"Renamed by {who}")
        withdrawn = client.post(
            f"/projects/HARBOUR/review/lessons/{doc_id}/withdraw", data={"reason": "a duplicate"}
        )
        if not allowed:
            codes = (completed.status_code, edited.status_code, withdrawn.status_code)
            assert codes == (403, 403, 403)
            assert "facilitator and participants" in withdrawn.get_data(as_text=True)
            assert snapshot(kb) == before  # nothing written
            continue
        assert (completed.status_code, edited.status_code, withdrawn.status_code) == (303,) * 3
        doc = documents.get_document(kb.db, doc_id)
        assert (doc.status, doc.title, doc.version) == ("rejected", f"Renamed by {who}", 4)
        markdown = documents.get_revision(kb.db, doc_id, 3).markdown
        assert sections_of(markdown)["lesson"] == LESSON and "status: draft" in markdown
        rejected = [e for e in kb_events(kb, "lesson.rejected") if e.data["id"] == doc_id]
        assert len(rejected) == 1 and rejected[0].data["from"] == "draft"
        assert rejected[0].data["reason"].startswith("Withdrawn from the review of HARBOUR by ")
        assert rejected[0].data["reason"].endswith(f"({who}): a duplicate")
        with kb.db.read() as s:
            actions = s.scalars(select(AuditEntry.action).where(AuditEntry.target == doc_id)).all()
        assert actions.count("lesson.updated") == 2 and "lesson.rejected" in actions


def test_the_submit_that_dead_ended_now_succeeds(kb, people, audited):
    pm = people["facilitator"]
    # the lesson's page points the facilitator to the review; someone else it does not
    note = "complete or withdraw it on the review page"
    assert note in pm.get(f"/lessons/{audited[0]}").get_data(as_text=True)
    assert note not in people["contributor"].get(f"/lessons/{audited[0]}").get_data(as_text=True)
    refused = pm.post("/api/projects/HARBOUR/review/submit")
    assert (
        refused.status_code == 400 and "Complete these lessons" in refused.json["error"]["message"]
    )
    page = pm.get("/projects/HARBOUR/review").get_data(as_text=True)
    assert page.count("Complete this draft") == 2 and "2 drafts still need text" in page

    first, second = audited
    version = pm.get("/api/projects/HARBOUR/review").json["lessons"][0]["version"]
    done = pm.put(
        f"/api/projects/HARBOUR/review/lessons/{first}",
        json={
            "title": "Vendor master changes need approval",
            "version": version,
            "sections": {
                "what_happened": "Vendor master data changed without approval.",
                "lesson": LESSON,
                "recommendation": RECOMMENDATION,
            },
        },
    )
    assert done.status_code == 200, done.json
    assert (done.json["complete"], done.json["may_change"], done.json["status"]) == (
        True,
        True,
        "draft",
    )
    gone = pm.post(f"/api/projects/HARBOUR/review/lessons/{second}/withdraw")
    assert gone.status_code == 200 and gone.json["withdrawn"] and gone.json["status"] == "rejected"
    review = pm.get("/api/projects/HARBOUR/review").json
    assert review["progress"]["summary"] == "2 lessons: 1 complete; 0 submitted, 1 withdrawn"
    with kb.db.read() as s:  # who withdrew it is recorded on the review's link
        link = s.scalar(select(ReviewLesson).where(ReviewLesson.lesson_id == second))
        assert link.withdrawn_at is not None and link.withdrawn_by == "maria"

    submitted = pm.post("/api/projects/HARBOUR/review/submit")
    assert submitted.status_code == 200 and submitted.json["status"] == "completed"
    assert [documents.get_document(kb.db, i).status for i in audited] == ["submitted", "rejected"]
    assert kb_events(kb, "review.completed")[-1].data["lessons"] == [first]
    assert (
        submitted.json["progress"]["summary"] == "2 lessons: 1 complete; 1 submitted, 1 withdrawn"
    )
    # a completed review's lessons are the curators' now
    late = pm.post(f"/api/projects/HARBOUR/review/lessons/{first}/withdraw")
    assert late.status_code == 409
    # a curator rejecting a submitted lesson is not a withdrawal
    lifecycle.transition_lesson(kb.db, first, "rejected", viewer=SYSTEM, reason="Not a lesson")
    after = pm.get("/api/projects/HARBOUR/review").json
    assert [x["withdrawn"] for x in after["lessons"]] == [False, True]
    assert after["progress"]["summary"] == "2 lessons: 1 complete; 1 submitted, 1 withdrawn"


def test_bad_edits_are_refused_whole(kb, people, audited):
    pm, doc_id = people["facilitator"], audited[0]
    url = f"/api/projects/HARBOUR/review/lessons/{doc_id}"
    before = snapshot(kb)
    cases = [
        ({"title": "", "version": 1, "sections": {"lesson": "x"}}, 400, {"title", "what_happened"}),
        (
            {"title": "t", "version": 1, "sections": {"what_happened": "x", "root_cause": "y"}},
            400,
            None,
        ),
        (
            {"title": "t", "version": 1, "sections": {"what_happened": "x\n## Mine"}},
            400,
            {"what_happened"},
        ),
        ({"title": "t", "sections": {"what_happened": "x"}}, 400, None),
        ({"title": "t", "version": True, "sections": {"what_happened": "x"}}, 400, None),
        ({"title": "t", "version": 7, "sections": {"what_happened": "x"}}, 409, None),
        (
            {"title": ["t"], "version": 1, "sections": "x"},
            400,
            {"title", "sections", "what_happened"},
        ),
    ]
    for body, status, fields in cases:
        answer = pm.put(url, json=body)
        assert answer.status_code == status, (body, answer.json)
        if fields:
            assert set(answer.json["error"]["details"]["fields"]) == fields
    assert (
        pm.put("/api/projects/HARBOUR/review/lessons/L-1999-999", json=cases[0][0]).status_code
        == 404
    )
    long = pm.post(f"{url}/withdraw", json={"reason": "x" * 501})
    assert long.status_code == 400 and long.json["error"]["field"] == "reason"
    assert pm.post(f"{url}/withdraw", json={"reason": 3}).status_code == 400
    # the web form: a bad edit shows the page again with its message and the person's text
    page = pm.post(
        f"/projects/HARBOUR/review/lessons/{doc_id}",
        data={"version": 1, "title": "Kept title", "what_happened": ""},
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and "The lesson was not changed" in html and "Kept title" in html
    assert snapshot(kb) == before


def test_a_restricted_draft_stays_hidden_from_a_participant(kb, people, audited, make_lesson):
    secret = make_lesson(
        "Restricted finding",
        status="draft",
        project="HARBOUR",
        visibility="restricted",
        groups="[board]",
    )
    with kb.db.write() as s:
        review = reviews.current_review(s, "HARBOUR")
        s.add(
            ReviewLesson(
                review_id=review.id,
                lesson_id=secret.id,
                impact="to_improve",
                source="workshop",
                created_at=utcnow(),
            )
        )
    before = snapshot(kb)
    anna = people["participant"]
    assert secret.id not in anna.get("/projects/HARBOUR/review").get_data(as_text=True)
    assert (
        anna.post(f"/api/projects/HARBOUR/review/lessons/{secret.id}/withdraw").status_code == 404
    )
    assert send_form(kb, anna, secret.id, lesson=LESSON).status_code == 404
    assert snapshot(kb) == before


def test_the_draft_to_rejected_step_is_the_reviews_alone(kb, audited, login_as):
    """The generic lifecycle neither offers nor takes the withdrawal, not even for a curator."""
    doc = documents.get_document(kb.db, audited[0])
    curator = login_as("curator", "cora")
    assert "rejected" not in lifecycle.allowed_transitions(SYSTEM, doc)
    with pytest.raises(Forbidden):
        lifecycle.transition_lesson(kb.db, doc.id, "rejected", viewer=SYSTEM, reason="no")
    answer = curator.post(
        f"/api/lessons/{doc.id}/transitions", json={"to": "rejected", "reason": "x"}
    )
    assert answer.status_code == 403 and "review" in answer.json["error"]["message"]
    assert documents.get_document(kb.db, doc.id).status == "draft"


def test_with_sections_keeps_every_other_byte():
    source = (
        "---\ntitle: Old   # a comment kept\nstatus: draft\ntags: [audit]\n---\n\nIntro.\n\n"
        "## What happened\n\nIt happened.\n\n## Root cause\n\nKept  as is.\n"
        "## Recommendation\n\nOld advice.\n"
    )
    out = with_sections(
        source,
        "Old",
        {"what_happened": "It happened.", "lesson": "New lesson.", "recommendation": ""},
    )
    assert out.startswith("---\ntitle: Old   # a comment kept\nstatus: draft\ntags: [audit]\n---\n")
    assert "## Root cause\n\nKept  as is.\n" in out and "Old advice" not in out
    assert out.index("## Root cause") < out.index("## Lesson")  # in the order of docs/format.md
    assert sections_of(out) == {
        "what_happened": "It happened.",
        "root_cause": "Kept  as is.",
        "lesson": "New lesson.",
    }
    renamed = with_sections(out, "New: title", {"what_happened": "It happened."})
    assert "title: 'New: title'" in renamed or 'title: "New: title"' in renamed
    assert "## Lesson" not in renamed  # not sent, so emptied


def test_a_read_only_token_and_a_stale_version_change_nothing(kb, app, people, audited):
    from kb.accounts import services as accounts

    doc_id = audited[0]
    token = accounts.create_token(kb.db, "maria", name="read", scope="read")[1]
    before = snapshot(kb)
    client = app.test_client()
    withdrawn = client.post(
        f"/api/projects/HARBOUR/review/lessons/{doc_id}/withdraw",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert withdrawn.status_code == 403
    stale = people["facilitator"].post(
        f"/api/projects/HARBOUR/review/lessons/{doc_id}/withdraw", json={"version": 2}
    )
    assert stale.status_code == 409 and stale.json["error"]["details"]["current_version"] == 1
    assert snapshot(kb) == before
