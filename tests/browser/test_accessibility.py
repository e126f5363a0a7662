"""axe-core (bundled by axe-playwright-python; nothing is fetched at test time) finds no
serious or critical accessibility violation on the pages of the tour, as an admin and as a
reader: every page at 1280 px, and one page of each layout on a 390 px phone (axe takes about
a second a page; what differs on a phone is the layout, which these pages cover —
tests/browser/test_phone_width.py walks every page at 390 px)."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from .tour import ADMIN, PAGES, READER, furnish, sign_in

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
BLOCKING = ("serious", "critical")
#: one page of each layout: lists, search, a document, a form, the editor, a table of records,
#: the project and review pages, an error and the sign-in page
PHONE_LAYOUTS = {
    "home",
    "lessons",
    "search",
    "lesson",
    "process",
    "project",
    "review",
    "form-new",
    "markdown-editor",
    "users",
    "forbidden",
    "login",
}


def violations(axe: Axe, page) -> list[str]:  # noqa: ANN001
    found = axe.run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:4]]}"
        for v in found
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("size", SIZES)
def test_no_serious_violations(live_kb, chromium, size):
    furnish(live_kb.app)
    axe = Axe()
    problems: dict[str, list[str]] = {}
    checked = 0
    for who in (ADMIN, READER):
        context = chromium.new_context(viewport=SIZES[size])
        page = context.new_page()
        page.set_default_timeout(15_000)
        if who is ADMIN:  # the sign-in page itself, before signing in
            page.goto(live_kb.url + "/login")
            problems["login"] = violations(axe, page)
        sign_in(page, live_kb.url, who)
        for name, path, differs in PAGES:
            if who is READER and not differs or name == "login":
                continue
            if size == "phone" and name not in PHONE_LAYOUTS:
                continue
            page.goto(live_kb.url + path)
            problems[f"{name} as {who[0]}"] = violations(axe, page)
            checked += 1
        context.close()
    assert checked >= (40 if size == "desktop" else 14)
    failing = {name: found for name, found in problems.items() if found}
    assert not failing, "\n".join(f"{name}: {found}" for name, found in failing.items())
