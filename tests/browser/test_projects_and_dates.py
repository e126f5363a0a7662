"""A curator, in Chromium at 1280 and 390 px: lists show each lesson's own dates and the
restricted marker, the queue real waiting times, a typo in a project is refused with the
nearest one, and a new project is registered on the projects page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kb.documents import services

from .conftest import watched_page
from .live import EDITOR

pytestmark = pytest.mark.browser

REFUSED = (
    "Failed to load resource: the server responded with a status of 422 (UNPROCESSABLE ENTITY)"
)
SECRET = """---
title: Quarter-end close overran because of the ERP cut-over
status: published
project: ATLAS
visibility: restricted
groups: [finance, pmo]
occurred_on: 2025-10-03
---

## Summary

The close took nine days instead of five.
"""


@pytest.fixture
def curator_page(chromium):
    yield from watched_page(chromium, [REFUSED])


def test_dates_markers_and_projects_at_two_widths(live_kb, curator_page, tmp_path):
    page = curator_page
    kb = live_kb.app.extensions["kb"]
    services.create_document(kb.db, SECRET, actor="finance-lead", type_hint="lesson")
    page.goto(live_kb.url + "/login")
    page.get_by_label("Username").fill(EDITOR[0])
    page.get_by_label("Password").fill(EDITOR[1])
    page.get_by_role("button", name="Sign in").click()
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(live_kb.url + "/lessons?project=ATLAS")
        item = page.locator(".doc-item", has_text="Quarter-end close overran")
        expect(item.locator(".badge-restricted")).to_have_text("Restricted — finance, pmo")
        expect(page.locator(".doc-item", has_text="Data migration trial runs")).to_contain_text(
            "Occurred 24 Feb 2025"
        )
        expect(page.locator(".doc-meta", has_text="Updated")).to_have_count(0)
        page.screenshot(path=str(tmp_path / f"lessons-{width}.png"), full_page=True)
        page.goto(live_kb.url + "/search?q=close")
        expect(
            page.locator(".hit", has_text="Quarter-end").locator(".badge-restricted")
        ).to_be_visible()
        expect(page.locator(".hit", has_text="Quarter-end")).to_contain_text("Occurred 3 Oct 2025")
        expect(page.locator(".hit", has_text="GD-0002")).to_contain_text("Imported")
        page.screenshot(path=str(tmp_path / f"search-{width}.png"), full_page=True)
        page.goto(live_kb.url + "/queue")
        expect(page.locator("table.queue")).not_to_contain_text("under an hour")
        page.screenshot(path=str(tmp_path / f"queue-{width}.png"), full_page=True)
        page.goto(live_kb.url + "/lessons/LL-2025-0005")
        expect(page.locator(".meta-panel")).to_contain_text("Imported")
        page.screenshot(path=str(tmp_path / f"lesson-{width}.png"), full_page=True)
    # a typo in the Markdown editor: refused, the nearest project named, the text kept
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_kb.url + "/lessons/new")
    page.locator("textarea[name=markdown]").fill(SECRET.replace("project: ATLAS", "project: ATLSA"))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Unknown project ATLSA — did you mean ATLAS")
    expect(page.locator("textarea[name=markdown]")).to_have_value(
        SECRET.replace("project: ATLAS", "project: ATLSA")
    )
    page.screenshot(path=str(tmp_path / "typo-1280.png"), full_page=True)
    # a curator registers the project the tools do not report
    for width, height in ((390, 844), (1280, 800)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(live_kb.url + "/projects")
        page.get_by_text("Register a project").click()
        page.screenshot(path=str(tmp_path / f"projects-{width}.png"), full_page=True)
    page.get_by_label("Key").fill("ORCA")
    page.get_by_label("Name").fill("Orca Treasury System")
    page.get_by_label("Started on").fill("2026-09-01")
    page.get_by_role("button", name="Register project").click()
    expect(page.locator("h1")).to_contain_text("Orca Treasury System")
    expect(page.locator(".flash-success")).to_contain_text(
        "Project ORCA (Orca Treasury System) registered."
    )
