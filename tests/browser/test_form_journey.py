"""A project manager (contributor) writes a lesson with the form only — no YAML typed —
sees it previewed while typing, is told next to the field what is missing, saves, submits."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kb.accounts import services as accounts

from .conftest import watched_page

pytestmark = pytest.mark.browser

PM = ("pablo", "a project manager password")
REFUSED = "Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"


@pytest.fixture
def form_page(chromium):
    """As the `page` fixture, but the one save refused on purpose (a 400 page) is expected."""
    yield from watched_page(chromium, [REFUSED])


def sign_in(page, url: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("Username").fill(PM[0])
    page.get_by_label("Password").fill(PM[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".account-name")).to_have_text("Pablo Ruiz")


def test_a_project_manager_writes_a_lesson_with_the_form(live_kb, form_page):
    page = form_page
    kb = live_kb.app.extensions["kb"]
    accounts.create_user(
        kb.db, PM[0], password=PM[1], role="contributor", display_name="Pablo Ruiz", actor="test"
    )
    sign_in(page, live_kb.url)
    page.goto(live_kb.url + "/lessons")
    page.get_by_role("link", name="New lesson").first.click()
    expect(page).to_have_url(re.compile(r"/lessons/new/form$"))
    expect(page.locator("textarea[name=markdown]")).to_have_count(0)  # no YAML to write

    # Projects come from the register and existing tags are suggested as one types.
    expect(page.locator("#kb-projects option[value=ATLAS]")).to_have_count(1)
    page.get_by_label("Project", exact=True).fill("ATLAS")
    page.get_by_label("Tags").press_sequentially("backf")
    expect(page.locator("#kb-tags option[value=backfill]")).to_have_count(1)
    page.get_by_label("Tags").fill("backfill, cut-over")
    page.get_by_label("Phase").select_option("testing")
    page.get_by_label("Priority").select_option("high")
    page.get_by_label("When it happened").fill("2025-06-02")
    page.get_by_label("Resources").check()
    page.get_by_label("Schedule").check()

    # The preview follows the typing (form.js asks the same route for JSON).
    summary = "Key users had no backfill, so UAT ran at a quarter of the planned pace."
    page.get_by_label("Summary").fill(summary)
    expect(page.locator("#preview-body")).to_contain_text(summary)
    page.get_by_label("What happened").fill("Only 31 of 142 scripts ran in week one.")
    page.get_by_label("Lesson", exact=True).fill("Release key users in writing before UAT.")
    page.get_by_label("Recommendation").fill("Budget backfill for every key user in UAT.")

    # Saving without a title: the message is next to the field, everything typed is kept.
    page.get_by_role("button", name="Save", exact=True).click()
    title_error = page.locator("#m_title-error")
    expect(title_error).to_have_text("Title is required.")
    expect(page.get_by_label("Summary")).to_have_value(summary)
    expect(page.get_by_label("Tags")).to_have_value("backfill, cut-over")
    expect(page.get_by_label("Resources")).to_be_checked()
    expect(page.locator("#form-errors")).not_to_contain_text("`")
    # On a phone (390 px) the form, its messages included, fits without sideways scrolling.
    page.set_viewport_size({"width": 390, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 800})

    page.get_by_label(re.compile("^Title")).fill("Key users were not backfilled for UAT")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-body")).to_contain_text("Budget backfill")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".flash-success")).to_contain_text("created")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Key users were not backfilled for UAT"
    )
    expect(page.locator(".prose")).to_contain_text("Budget backfill for every key user")
    lesson_url = page.url

    # Opening it in the form and saving without a change writes no revision.
    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_label("Tags")).to_have_value("backfill, cut-over")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".flash-info")).to_contain_text("not saved again")
    expect(page.get_by_role("link", name=re.compile("^History"))).to_contain_text("1 revision")

    # Submit it for review: the lifecycle buttons are on the lesson's page.
    page.goto(lesson_url)
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".doc-badges")).to_contain_text("Submitted")


def test_the_form_works_without_javascript_and_says_when_text_is_too_long(live_kb, chromium):
    kb = live_kb.app.extensions["kb"]
    accounts.create_user(
        kb.db, PM[0], password=PM[1], role="contributor", display_name="Pablo Ruiz", actor="test"
    )
    for javascript in (False, True):
        context = chromium.new_context(java_script_enabled=javascript)
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, live_kb.url)
        page.goto(live_kb.url + "/lessons/new/form")
        page.get_by_label(re.compile("^Title")).fill(f"Written with JavaScript {javascript}")
        page.get_by_label("Impact").fill("Two weeks lost.")
        # 1.2 MB of minutes: with JavaScript the form says so before sending; without, the
        # server says so; either way the text stays in its box.
        minutes = "Minutes of the weekly meeting. " * 40_000
        page.get_by_label("Evidence").fill(minutes)
        page.get_by_role("button", name="Save", exact=True).click()
        message = page.locator(".field-message")
        expect(message).to_contain_text("The document is 1.2 MB; the limit is 1 MB.")
        kept = page.get_by_label("Evidence").input_value()
        same = kept == minutes  # compared apart: a failure would print 1.2 MB
        assert same, f"javascript={javascript}: {len(kept)} characters kept of {len(minutes)}"
        expect(page.get_by_label("Impact")).to_have_value("Two weeks lost.")
        page.get_by_label("Evidence").fill("Steering committee minutes, 3 May.")
        page.get_by_role("button", name="Preview").click()
        expect(page.locator("#preview-body")).to_contain_text("Two weeks lost.")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".flash-success")).to_contain_text("created")
        expect(page.locator(".prose")).to_contain_text("Steering committee minutes")
        context.close()
