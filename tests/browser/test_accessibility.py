"""axe-core (bundled by axe-playwright-python; nothing is fetched at test time) finds no
serious or critical accessibility violation on the pages of the tour, at 1280 px and on a
390 px phone, as an admin and as a reader."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from .tour import ADMIN, PAGES, READER, furnish, sign_in

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
BLOCKING = ("serious", "critical")


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
            page.goto(live_kb.url + path)
            problems[f"{name} as {who[0]}"] = violations(axe, page)
            checked += 1
        context.close()
    assert checked >= 40
    failing = {name: found for name, found in problems.items() if found}
    assert not failing, "\n".join(f"{name}: {found}" for name, found in failing.items())
