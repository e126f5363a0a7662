"""A person's journey through kb in a real browser: find a lesson, improve it, see the history."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .live import EDITOR

pytestmark = pytest.mark.browser


def test_search_open_edit_save_and_see_history(live_kb, page):
    # Signed out, kb sends people to the sign-in page and back where they wanted to go.
    page.goto(live_kb.url + "/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("Username").fill(EDITOR[0])
    page.get_by_label("Password").fill(EDITOR[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("What did we learn")
    expect(page.locator(".account-name")).to_have_text("Petra Lind")

    # Search from the box in the header, as on every page.
    page.get_by_label("Search the PMO memory").fill("supplier interface")
    page.get_by_label("Search the PMO memory").press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=supplier\+interface"))
    hits = page.locator("li.hit")
    expect(hits.first).to_be_visible()
    expect(page.locator(".snippet mark").first).to_be_visible()
    expect(page.locator(".facets")).to_contain_text("Type")

    # Open the first hit.
    first = hits.first.locator(".hit-title a")
    title = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    doc_url = page.url

    # Edit: add a sentence, preview it (edit.js asks /api/preview), save.
    page.get_by_role("link", name="Edit Markdown", exact=True).click()
    editor = page.get_by_label(re.compile("^Markdown"))
    source = editor.input_value()
    added = "Browser journey: agree interface dates in the contract."
    editor.fill(source.rstrip("\n") + f"\n\n{added}\n")
    page.get_by_label(re.compile("^Change note")).fill("Added a concrete action")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview-body")).to_contain_text(added)
    expect(page).to_have_url(re.compile(r"/edit$"))  # the preview did not leave the page
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page).to_have_url(doc_url)
    expect(page.locator(".flash-success")).to_contain_text("Saved")
    expect(page.locator(".prose")).to_contain_text(added)

    # History lists the new revision with its note and author.
    page.get_by_role("link", name=re.compile("^History")).click()
    newest = page.locator("table.history tbody tr").first
    expect(newest).to_contain_text("Added a concrete action")
    expect(newest).to_contain_text("petra")
    expect(newest).to_contain_text("current")
