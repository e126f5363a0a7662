"""A new joiner finds their start page, takes a path, opens its first step and marks it read
on the step's own page (the path bar), goes on to the next; then, at phone width (390 px),
continues where they left off."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kb.accounts import services as accounts
from kb.paths.transfer import import_paths

from .live import CONTENT

pytestmark = pytest.mark.browser

JOINER = ("nina", "a new joiner's password")


def test_a_new_joiner_follows_a_path_step_and_marks_it_read(live_kb, page):
    kb = live_kb.app.extensions["kb"]
    assert import_paths(kb.db, CONTENT, actor="test").rejected == []
    accounts.create_user(
        kb.db, JOINER[0], password=JOINER[1], display_name="Nina New", groups=["pmo"], actor="t"
    )
    page.goto(live_kb.url + "/login")
    page.get_by_label("Username").fill(JOINER[0])
    page.get_by_label("Password").fill(JOINER[1])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Onboarding", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Nina New")
    page.get_by_role("link", name="Project administrator — your first two weeks").click()
    page.get_by_role("button", name="Take this path").click()
    expect(page.get_by_text("0 of 17 read")).to_be_visible()

    first = page.locator(".path-step").first
    first.get_by_role("link").click()  # the step opens the guide, with the path bar on it
    expect(page).to_have_url(re.compile(r"/guides/GD-0001\?path=LP-0001&step=\d+$"))
    bar = page.get_by_role("region", name="Onboarding path")
    expect(bar.get_by_text("Step 1 of 17")).to_be_visible()
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_contain_text(
        "Project administrator — your first two weeks"
    )
    bar.get_by_role("button", name="I've read this").click()
    expect(page.get_by_text("Marked as read.")).to_be_visible()
    expect(bar.get_by_text("Read", exact=True)).to_be_visible()
    bar.get_by_role("link", name="Next: PMO").click()
    expect(page).to_have_url(re.compile(r"/glossary/GL-0034\?path=LP-0001&step=\d+$"))
    expect(bar.get_by_text("Step 2 of 17")).to_be_visible()
    page.goto(live_kb.url + "/paths/LP-0001")
    expect(page.get_by_text("1 of 17 read")).to_be_visible()
    expect(page.locator(".path-step").first.get_by_text("Read", exact=True)).to_be_visible()
    expect(page.locator(".path-step").nth(1).get_by_text("Opened")).to_be_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_kb.url + "/start")
    expect(page.get_by_text("1 of 17 read")).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^Continue: PMO$")).click()
    expect(page).to_have_url(re.compile(r"/glossary/GL-0034\?path=LP-0001&step=\d+$"))
    bar = page.get_by_role("region", name="Onboarding path")
    bar.get_by_role("button", name="I've read this").click()
    expect(bar.get_by_text("Read", exact=True)).to_be_visible()
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 390, f"a path step's page is {wide} px wide at 390 px"
    page.goto(live_kb.url + "/paths/LP-0001")
    expect(page.get_by_text("2 of 17 read")).to_be_visible()
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 390, f"the path page is {wide} px wide at 390 px"
