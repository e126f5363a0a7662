"""An admin's first minutes in a real browser: the one-time password replaced at the first
sign-in, a group set up, renamed with its restricted lesson, and a webhook tested — at
desktop width and at 390 px (nothing wider than the screen)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kb.accounts import services as accounts
from kb.documents import services as documents
from kb.events.jobs.worker import Worker
from kb.events.webhooks import subscriptions
from tests.events.test_webhooks import Receiver

pytestmark = pytest.mark.browser
ONE_TIME = "one-time pass 0123"
CHOSEN = "the admin's own sentence"


def fits(page, width: int) -> None:  # noqa: ANN001
    """No horizontal scrolling at this width."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


def shoot(page, name: str, tmp_path: Path, *, full: bool = True) -> None:  # noqa: ANN001
    """Screenshots for a person to look at: in KB_SCREENSHOT_DIR when set."""
    folder = Path(os.environ.get("KB_SCREENSHOT_DIR") or tmp_path)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=full)


@pytest.fixture
def receiver():
    r = Receiver()
    r.status = 503
    yield r
    r.close()


def test_first_sign_in_groups_and_a_webhook_test(live_kb, page, chromium, receiver, tmp_path):
    kb = live_kb.app.extensions["kb"]
    accounts.create_user(
        kb.db,
        "root",
        password=ONE_TIME,
        role="admin",
        actor="kb init",
        display_name="Administrator",
        must_change_password=True,
    )
    accounts.create_user(
        kb.db,
        "dana",
        password=ONE_TIME * 2,
        role="reader",
        actor="test",
        display_name="Dana Fischer",
    )
    lesson = documents.create_document(
        kb.db,
        (
            "---\ntitle: Budget overrun in phase two\nstatus: published\nproject: ATLAS\n"
            "visibility: restricted\ngroups: [finance]\n---\n\n## Summary\n\nOver.\n"
        ),
        actor="test",
        type_hint="lesson",
    )

    page.goto(live_kb.url + "/admin/groups")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(ONE_TIME)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/account/password$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your own password")
    shoot(page, "first-password-1280", tmp_path)
    page.goto(live_kb.url + "/search?q=budget")  # every other page sends back
    expect(page).to_have_url(re.compile(r"/account/password$"))
    page.get_by_label("The password you signed in with").fill(ONE_TIME)
    page.get_by_label("New password", exact=True).fill(CHOSEN)
    page.get_by_label("New password again").fill(CHOSEN)
    page.get_by_role("button", name="Set my password").click()
    expect(page.locator(".flash, [role=status]").first).to_contain_text("Your password is set")

    # A group named by the lesson, set up from the list, dana added, then renamed.
    page.goto(live_kb.url + "/admin/groups")
    expect(page.locator("body")).to_contain_text("Named by documents, but not set up")
    page.get_by_label("Name").fill("finance")
    page.get_by_role("button", name="Add group").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("finance")
    page.get_by_label("Add").select_option("dana")
    page.get_by_role("button", name="Add member").click()
    expect(page.locator(".members")).to_contain_text("Dana Fischer")
    expect(page.get_by_role("link", name="Budget overrun in phase two")).to_be_visible()
    page.get_by_label("New name").fill("Finance Team")
    page.get_by_role("button", name="Rename").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("finance team")
    expect(page.locator("body")).to_contain_text("1 document rewritten with the new name")
    assert documents.get_document(kb.db, lesson.id).groups == ["finance team"]
    shoot(page, "group-1280", tmp_path)

    # A webhook's test event, failing at the receiver: its next retry is shown.
    sub, _ = subscriptions.create_subscription(kb.db, name="Chat", url=receiver.url, owner="root")
    page.goto(f"{live_kb.url}/admin/subscriptions/{sub.id}")
    page.get_by_role("button", name="Send a test event").click()
    Worker(kb.db, kb.registry, name="browser").run_pending()
    page.reload()
    expect(page.locator("table.deliveries")).to_contain_text("org.pmo.kb.webhook.tested")
    expect(page.locator("table.deliveries")).to_contain_text("next try")
    expect(page.locator(".compare-meta")).to_contain_text("Next retry (UTC)")
    shoot(page, "subscription-1280", tmp_path)
    page.goto(live_kb.url + "/admin/users/dana")  # groups are picked from the list
    expect(page.get_by_label("finance team")).to_be_checked()
    expect(page.get_by_role("link", name="Manage groups")).to_be_visible()
    shoot(page, "user-1280", tmp_path)

    # The same pages on a phone.
    state = page.context.storage_state()
    phone = chromium.new_context(viewport={"width": 390, "height": 844}, storage_state=state)
    small = phone.new_page()
    group_id = accounts.list_groups(kb.db)[0].id
    for path, name in (
        (f"/admin/groups/{group_id}", "group-390"),
        ("/admin/groups", "groups-390"),
        (f"/admin/subscriptions/{sub.id}", "subscription-390"),
        ("/admin/users/dana", "user-390"),
    ):
        small.goto(live_kb.url + path)
        expect(small.locator("h1")).to_be_visible()
        fits(small, 390)
        shoot(small, name, tmp_path, full=False)
    small.goto(f"{live_kb.url}/admin/subscriptions/{sub.id}#log-title")
    small.locator("table.deliveries").scroll_into_view_if_needed()
    shoot(small, "deliveries-390", tmp_path, full=False)
    phone.close()
