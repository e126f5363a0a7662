"""The review that used to dead-end, in a real browser: an audit drafts its findings (as `kb`)
into the closure review; the facilitator, a contributor who owns none of them, completes two
through the review page's forms, withdraws the third and submits the review."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from kb.core.time import utcnow
from kb.documents import services as documents
from kb.events.log.models import Event
from kb.events.log.services import lock_log
from kb.reviews import services as reviews
from kb.reviews.models import ReviewLesson

from .test_review_journey import PM, close_project, sign_in

pytestmark = pytest.mark.browser

FINDINGS = [
    {
        "id": "F1",
        "severity": "high",
        "title": "Vendor master changes without approval",
        "recommendation": "Enforce four-eyes approval on vendor master data.",
    },
    {"id": "F2", "severity": "medium", "title": "Cut-over log incomplete"},
    {"id": "F3", "severity": "low", "title": "Duplicate of F1 raised by a second auditor"},
]


def audit(live_kb, key: str) -> list[str]:
    """What the audit tool's `audit.completed` does; the ids of the drafted lessons."""
    kb = live_kb.app.extensions["kb"]
    data = {
        "auditId": "AUD-2026-031",
        "scope": "Procurement controls",
        "completedAt": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "project": {"projectId": key, "name": "Harbour warehouse"},
        "findings": FINDINGS,
    }
    with kb.db.write() as s:
        lock_log(s)
        s.add(
            Event(
                source="urn:pmo:test",
                event_id=str(uuid.uuid4()),
                type="org.pmo.audit.completed",
                time=utcnow(),
                data=data,
                partition_key=key,
            )
        )
    kb.worker.run_pending()
    with kb.db.read() as s:
        rows = s.query(ReviewLesson).order_by(ReviewLesson.id).all()
        return [r.lesson_id for r in rows if r.source == "audit"]


def no_overflow(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"scrollWidth {width}"


def test_the_facilitator_completes_a_review_with_audit_findings(live_kb, page, tmp_path):
    close_project(live_kb, "HARBOUR")
    ids = audit(live_kb, "HARBOUR")
    assert len(ids) == 3
    sign_in(page, live_kb.url, PM)
    page.goto(live_kb.url + "/projects/HARBOUR/review")
    expect(page.locator("#progress")).to_contain_text("3 lessons: 0 complete")

    # The page says which drafts need what before the review can be submitted (the refused
    # submit itself: tests/reviews/test_drafts.py).
    expect(page.locator(".review-blocked")).to_contain_text("3 drafts still need text")
    first = page.locator(f"#lesson-{ids[0]}")
    expect(first.locator(".lesson-incomplete")).to_have_text("needs lesson")
    expect(first.get_by_label(re.compile("^Lesson"))).to_be_visible()

    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(live_kb.url + "/projects/HARBOUR/review#to-improve")
        no_overflow(page)
        page.screenshot(path=str(tmp_path / f"review-{width}.png"), full_page=True)
        first.screenshot(path=str(tmp_path / f"draft-{width}.png"))
    # The primary action of a draft is saving it; withdrawing is a quiet, tucked-away one.
    save = first.get_by_role("button", name="Save lesson")
    withdraw = first.get_by_role("button", name="Withdraw this draft")
    expect(withdraw).to_be_hidden()  # inside a closed disclosure until asked for
    first.locator(".draft-withdraw > summary").click()
    expect(withdraw).to_be_visible()
    first.screenshot(path=str(tmp_path / "draft-withdraw-390.png"))
    colours = page.evaluate(
        "([a, b]) => [getComputedStyle(a).backgroundColor, getComputedStyle(b).backgroundColor]",
        [save.element_handle(), withdraw.element_handle()],
    )
    assert colours[0] != colours[1], colours
    no_overflow(page)
    first.locator(".draft-withdraw > summary").click()

    # Complete two drafts through their forms, at phone width.
    texts = {
        ids[0]: (
            "Vendor master data changed without approval.",
            "Approvals belong in the tool.",
            "Enforce four-eyes approval on vendor master data.",
        ),
        ids[1]: (
            "The cut-over log missed two steps.",
            "A log kept by hand is incomplete.",
            "Keep the cut-over log in the runbook tool.",
        ),
    }
    for doc_id, (happened, lesson, recommendation) in texts.items():
        item = page.locator(f"#lesson-{doc_id}")
        item.get_by_label(re.compile("^What happened")).fill(happened)
        item.get_by_label(re.compile("^Lesson")).fill(lesson)
        item.get_by_label(re.compile("^Recommendation")).fill(recommendation)
        item.get_by_role("button", name="Save lesson").click()
        expect(page.locator(".flash-success")).to_contain_text(f"{doc_id} saved")
        expect(page.locator(f"#lesson-{doc_id} .lesson-complete")).to_have_text("complete")

    # Withdraw the third.
    third = page.locator(f"#lesson-{ids[2]}")
    third.locator(".draft-withdraw > summary").click()
    third.get_by_label("Reason").fill("Duplicate of F1")
    third.get_by_role("button", name="Withdraw this draft").click()
    expect(page.locator(".flash-success")).to_contain_text(f"{ids[2]} withdrawn")
    expect(page.locator("#progress")).to_have_text(
        "3 lessons: 2 complete; 0 submitted, 1 withdrawn"
    )
    expect(page.locator(".review-blocked")).to_have_count(0)
    no_overflow(page)
    page.screenshot(path=str(tmp_path / "review-390-ready.png"), full_page=True)

    page.get_by_role("button", name="Submit the review").click()
    expect(page.locator(".flash-success")).to_contain_text("2 lessons went to the curators")
    expect(page.locator("#progress")).to_have_text(
        "3 lessons: 2 complete; 2 submitted, 1 withdrawn"
    )
    kb = live_kb.app.extensions["kb"]
    review = reviews.get_review(kb.db, "HARBOUR")
    assert (review.status, review.completed_by) == ("completed", PM[0])
    statuses = [documents.get_document(kb.db, i).status for i in ids]
    assert statuses == ["submitted", "submitted", "rejected"]
