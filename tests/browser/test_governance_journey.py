"""A process model's review in a real browser: a curator submits it, two approvers approve it
(each signed in as themselves), the curator publishes it with a change summary; the swimlane
diagram shows, and the lesson whose action targeted the model shows that action closed."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kb.accounts import services as accounts
from kb.accounts.viewer import Viewer
from kb.actions import services as actions
from kb.documents import services
from tests.conftest import lesson_source

from .live import EDITOR
from .test_review_journey import sign_in

pytestmark = pytest.mark.browser

OWEN = ("owen.price", "an approver's password")
FIONA = ("fiona", "another approver's password")
MODEL = """---
title: Supplier sanctions screening
owner: owen.price
approvers: [owen.price, finance]
addresses: [{lesson}]
---

## Purpose

Screen every new supplier before the first order.

## Steps

### Buyer
1. **Request the supplier.**
2. **Screen the sanctions lists.** System: ERP.
"""


def test_a_curator_takes_a_model_through_two_approvals_to_published(live_kb, page):
    kb = live_kb.app.extensions["kb"]
    accounts.create_user(kb.db, OWEN[0], password=OWEN[1], role="reader", actor="test")
    accounts.create_user(
        kb.db, FIONA[0], password=FIONA[1], role="reader", groups=["finance"], actor="test"
    )
    lesson = services.create_document(
        kb.db,
        lesson_source("Suppliers were not screened", project=None),
        actor="test",
        type_hint="lesson",
    )
    doc = services.create_document(
        kb.db,
        MODEL.format(lesson=lesson.id),
        actor=EDITOR[0],
        type_hint="process",
        created_by=EDITOR[0],
    )
    actions.add_action(
        kb.db,
        lesson.id,
        viewer=Viewer("cora", "curator"),
        description="Add sanctions screening to supplier onboarding",
        owner="owen.price",
        due_on="2027-01-31",
        target_kind="process_model",
        target_ref=doc.id,
    )
    url = f"{live_kb.url}/processes/{doc.id}"
    panel = page.locator(".governance-panel")

    sign_in(page, live_kb.url, EDITOR)
    page.goto(url)
    expect(panel).to_contain_text("Draft")
    panel.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".flash-success")).to_contain_text("submitted for review")
    expect(panel.locator(".approver")).to_have_text(
        [re.compile("owen.price — waiting"), re.compile("finance — waiting")]
    )
    expect(panel.get_by_role("button", name="Approve")).to_have_count(0)  # not hers
    page.get_by_role("button", name="Sign out").click()

    for who, entry in ((OWEN, "owen.price"), (FIONA, "finance")):
        sign_in(page, live_kb.url, who)
        page.goto(url)
        panel.get_by_role("button", name="Approve").click()
        expect(page.locator(".flash-success")).to_contain_text("approved by you")
        expect(panel.locator(f".approver:has-text('{entry}')")).to_contain_text("approved")
        page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_kb.url, EDITOR)
    page.goto(url)
    expect(panel).to_contain_text("Approved")
    panel.get_by_label("Change summary").fill("Sanctions screening before the first order.")
    panel.get_by_role("button", name="Publish").click()
    expect(page.locator(".flash-success")).to_contain_text("published")
    expect(page.locator(".doc-badges")).to_contain_text("Published")
    expect(panel).to_contain_text("Published version 1.0")
    panel.get_by_role("link", name=re.compile("^Versions")).click()
    expect(page.locator("table.versions")).to_contain_text(
        "Sanctions screening before the first order."
    )

    # the picture of the published version, drawn on the server
    page.goto(url)
    diagram = page.locator("img[src*='diagram.svg']").first
    expect(diagram).to_be_visible()
    assert diagram.evaluate("img => img.complete && img.naturalWidth > 0")
    # publishing the version that cites the lesson closed the lesson's action on the model
    live_kb.app.extensions["kb"].worker.run_pending()
    page.goto(f"{live_kb.url}/lessons/{lesson.id}")
    links = page.locator("section.process-links")
    expect(links).to_contain_text(f"{lesson.id} → Supplier sanctions screening")
    expect(links).to_contain_text("closed")
