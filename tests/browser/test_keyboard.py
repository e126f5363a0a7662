"""With the keyboard only — Tab, Shift+Tab, Space, Enter and typing; no click — a contributor
signs in, opens the form editor for a new lesson, fills it, previews, saves and submits it.
Every element the Tab key reaches on the way shows where the focus is."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kb.accounts import services as accounts
from kb.documents import services as documents

from .tour import ADMIN, furnish, sign_in

pytestmark = pytest.mark.browser

PM = ("kim", "a keyboard user password")
#: Tab presses allowed to reach one element (the header and navigation come first)
MAX_TABS = 60
#: pages whose every Tab stop is checked, and how many stops at most
FOCUS_PAGES = (
    "/search?q=supplier",
    "/lessons/LL-2024-0001",
    "/projects/HARBOUR/review",
    "/lessons/new/form",
    "/admin/users",
    "/lessons/LL-2024-0001/history",
)
MAX_STOPS = 400

FOCUS_STYLE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  const shadow = style.boxShadow !== 'none';
  return {visible: outline || shadow, what: el.outerHTML.slice(0, 120)};
}"""


def tab_to(page, target, *, backwards: bool = False) -> None:  # noqa: ANN001
    """Press Tab until `target` (a locator) has the focus, checking each stop's focus style."""
    handle = target.element_handle()
    for _ in range(MAX_TABS):
        if page.evaluate("el => document.activeElement === el", handle):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        focus = page.evaluate(FOCUS_STYLE)
        # past the last element the focus leaves the page for the browser's own controls
        assert focus["visible"] or focus["what"].startswith("<body"), focus["what"]
    raise AssertionError(f"Tab never reached {target}")


def type_into(page, target, text: str) -> None:  # noqa: ANN001
    tab_to(page, target)
    page.keyboard.type(text)


def test_a_lesson_written_with_the_keyboard_only(live_kb, page):
    kb = live_kb.app.extensions["kb"]
    accounts.create_user(
        kb.db, PM[0], password=PM[1], role="contributor", display_name="Kim Keys", actor="test"
    )
    page.goto(live_kb.url + "/")  # kb sends a visitor to the sign-in page
    expect(page).to_have_url(re.compile("/login"))
    type_into(page, page.get_by_label("Username"), PM[0])
    type_into(page, page.get_by_label("Password"), PM[1])
    page.keyboard.press("Enter")
    expect(page.locator(".account-name")).to_have_text("Kim Keys")

    # The main navigation, then the lessons list's "New lesson": the form editor.
    tab_to(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Lessons"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/lessons$"))
    tab_to(page, page.get_by_role("link", name="New lesson").first)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/lessons/new/form$"))

    type_into(page, page.get_by_label(re.compile("^Title")), "Cut-over rehearsal ran out of time")
    type_into(page, page.get_by_label("Project", exact=True), "ATLAS")
    tab_to(page, page.get_by_label("Phase"))
    page.keyboard.type("deployment")  # a select picks the option one types
    tab_to(page, page.get_by_label("Schedule"))
    page.keyboard.press("Space")
    type_into(
        page, page.get_by_label("Summary"), "The rehearsal needed 30 hours; the window was 24."
    )
    type_into(page, page.get_by_label("What happened"), "The data load took 19 hours alone.")
    type_into(page, page.get_by_label("Lesson", exact=True), "Time the rehearsal end to end.")
    type_into(page, page.get_by_label("Recommendation"), "Rehearse twice, timed, before go-live.")

    tab_to(page, page.get_by_role("button", name="Preview"))
    page.keyboard.press("Enter")
    expect(page.locator("#preview-body")).to_contain_text("Rehearse twice, timed")
    expect(page.get_by_label("Schedule")).to_be_checked()
    # The Save button comes before Preview: one Shift+Tab back.
    tab_to(page, page.get_by_role("button", name="Save", exact=True), backwards=True)
    page.keyboard.press("Enter")
    expect(page.locator(".flash-success")).to_contain_text("created")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cut-over rehearsal ran out of time")

    tab_to(page, page.get_by_role("button", name="Submit for review"))
    page.keyboard.press("Enter")
    expect(page.locator(".doc-badges")).to_contain_text("Submitted")
    lesson = documents.get_document(kb.db, page.url.rsplit("/", 1)[-1])
    assert (lesson.project_key, lesson.phase, lesson.topics) == (
        "ATLAS",
        "deployment",
        ["schedule"],
    )
    assert lesson.status == "submitted"


@pytest.mark.parametrize("size", [1280, 390])
def test_every_stop_of_the_tab_key_shows_the_focus(live_kb, chromium, size):
    furnish(live_kb.app)
    context = chromium.new_context(viewport={"width": size, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_kb.url, ADMIN)
    for path in FOCUS_PAGES:
        page.goto(live_kb.url + path)
        stops = 0
        for _ in range(MAX_STOPS):
            page.keyboard.press("Tab")
            focus = page.evaluate(FOCUS_STYLE)
            if focus["what"].startswith("<body"):
                break  # past the last element
            assert focus["visible"], f"{path}: no visible focus on {focus['what']}"
            stops += 1
        assert stops > 10, (path, stops)
    context.close()
