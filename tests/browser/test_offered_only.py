"""A reader in a real browser: nothing a page offers — no link, no button's form — answers
403; overdue things say so in words; a refusal reached by hand says why and whom to ask.
Screenshots at 1280 and 390 px go to the test's folder for a person to look at."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import expect

from kb.accounts import services as accounts
from kb.accounts.viewer import SYSTEM
from kb.actions import services as actions
from kb.core.time import utcnow

from .conftest import watched_page
from .live import EDITOR

pytestmark = pytest.mark.browser
READER = ("rhea", "a reader's long password")
LESSON = "LL-2024-0001"
#: forms never submitted by the crawl: signing out ends the session it crawls with
SKIP_FORMS = ("/logout",)

FORMS_JS = """() => [...document.querySelectorAll('form')].flatMap(form => {
  const data = {};
  for (const el of form.elements) {
    if (el.name && !(el.type === 'checkbox' && !el.checked) && el.type !== 'submit') data[el.name] = el.value;
  }
  const targets = [...form.querySelectorAll('button[type=submit], button:not([type]), input[type=submit]')]
    .map(b => b.getAttribute('formaction') || form.getAttribute('action') || location.pathname);
  const byId = form.id ? [...document.querySelectorAll(`button[form="${form.id}"]`)]
    .map(() => form.getAttribute('action')) : [];
  return [...new Set([...targets, ...byId])].map(action => ({
    action: new URL(action, location.href).href, method: (form.method || 'get').toLowerCase(), data}));
})"""


def sign_in(page, base: str, who: tuple[str, str]) -> None:
    page.goto(base + "/login")
    page.get_by_label("Username").fill(who[0])
    page.get_by_label("Password").fill(who[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".account-name")).to_be_visible()


def prepare(live_kb) -> str:
    kb = live_kb.app.extensions["kb"]
    accounts.create_user(
        kb.db,
        READER[0],
        password=READER[1],
        role="reader",
        display_name="Rhea Reader",
        actor="test",
    )
    due = (utcnow() - timedelta(days=5)).date()
    actions.add_action(
        kb.db,
        LESSON,
        viewer=SYSTEM,
        description="Add interface dates to the contract template",
        owner=READER[0],
        due_on=due.isoformat(),
        target_kind="template",
        target_ref="Contract template",
    )
    return f"{due.day} {due:%b %Y}"


def shoot(page, tmp_path, name: str, part: str | None = None) -> None:
    """The whole page at 1280 and 390 px wide (and, with `part`, that element alone)."""
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(tmp_path / f"{name}-{width}.png"), full_page=True)
        if part:
            page.locator(part).screenshot(path=str(tmp_path / f"{name}-{width}-part.png"))
    page.set_viewport_size({"width": 1280, "height": 800})


@pytest.fixture
def reader_page(chromium):
    """The one error expected in the console: the refusal the reader typed by hand."""
    yield from watched_page(
        chromium, ["Failed to load resource: the server responded with a status of 403 (FORBIDDEN)"]
    )


def test_a_reader_is_offered_nothing_that_refuses_them(live_kb, reader_page, tmp_path):
    page = reader_page
    since = prepare(live_kb)
    base = live_kb.url
    sign_in(page, base, READER)
    # what a reader sees: words for what is overdue, no buttons for what is not theirs
    page.goto(base + f"/lessons/{LESSON}")
    expect(page.locator(".actions-panel")).to_contain_text(f"Overdue since {since}")
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    expect(page.locator(".status-panel")).to_contain_text("Nothing for you to do here.")
    shoot(page, tmp_path, "lesson-reader", ".actions-panel")
    page.goto(base + "/actions?status=overdue")
    expect(page.locator(".action-rows")).to_contain_text(f"Overdue since {since}")
    shoot(page, tmp_path, "actions-overdue")

    # typed by hand: the refusal says why and whom to ask
    page.goto(base + "/lessons/new/form")
    expect(page.locator(".error-page")).to_contain_text(
        "Only contributors and curators can write documents."
    )
    expect(page.locator(".error-page")).to_contain_text("Ask the PMO: Petra Lind.")
    shoot(page, tmp_path, "refused")

    # then every link and form on the main pages (submitting forms may close the action)
    pages = [
        "/",
        "/lessons",
        "/lessons?overdue=1",
        "/processes",
        "/projects",
        "/projects/ATLAS",
        f"/lessons/{LESSON}",
        f"/lessons/{LESSON}/history",
        "/actions?status=overdue",
        "/inbox",
        "/account",
        "/search?q=supplier",
        "/guides",
        "/processes?overdue=1",
    ]
    checked: set[tuple[str, str]] = set()
    refused: list[str] = []
    for path in pages:
        page.goto(base + path)
        links = page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)")
        for href in links:
            url = urljoin(page.url, href).split("#")[0]
            if urlsplit(url).netloc != urlsplit(base).netloc or ("get", url) in checked:
                continue
            checked.add(("get", url))
            if page.request.get(url, max_redirects=0).status == 403:
                refused.append(f"link on {path}: {url}")
        for form in page.evaluate(FORMS_JS):
            key = (form["method"], form["action"])
            if key in checked or any(s in form["action"] for s in SKIP_FORMS):
                continue
            checked.add(key)
            if form["method"] == "post":
                status = page.request.post(
                    form["action"], form=form["data"], max_redirects=0
                ).status
            else:
                status = page.request.get(
                    form["action"], params=form["data"], max_redirects=0
                ).status
            if status == 403:
                refused.append(f"form on {path}: {form['method']} {form['action']}")
    assert not refused, refused
    assert len(checked) > 40, len(checked)  # the crawl saw the pages' links and forms


def test_a_curator_sees_the_next_steps_as_choices(live_kb, page, tmp_path):
    sign_in(page, live_kb.url, EDITOR)
    submitted = "LL-2025-0011"
    page.goto(live_kb.url + f"/lessons/{submitted}")
    panel = page.locator(".status-panel")
    expect(panel.get_by_role("button", name="Start review")).to_be_visible()
    expect(panel).to_contain_text("Take it from the queue and check it before it is published.")
    reject = panel.get_by_role("button", name="Reject")
    expect(reject).to_have_class(re.compile("button-danger"))
    shoot(page, tmp_path, "status-panel-curator", ".status-panel")
    panel.get_by_role("button", name="Start review").click()
    expect(page.locator(".flash-success")).to_contain_text("is now in review")
    print(f"screenshots in {tmp_path}")
