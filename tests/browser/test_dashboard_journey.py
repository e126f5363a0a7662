"""A curator on a 390 px phone opens the learning-health dashboard from the navigation,
filters it by topic, downloads a chart's CSV and opens the queries that found nothing; the
page never scrolls sideways. The screen is kept as docs/screenshots/dashboard-phone.png's
twin in the test's folder (make screenshots retakes the documentation's)."""

from __future__ import annotations

import pytest

from .test_phone_width import PHONE, overflow
from .tour import ADMIN, furnish, sign_in

pytestmark = pytest.mark.browser


def test_a_curator_reads_the_dashboard_on_a_phone(live_kb, chromium, tmp_path):
    furnish(live_kb.app)
    context = chromium.new_context(viewport=PHONE, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_kb.url, ADMIN)
    page.goto(live_kb.url + "/search?q=zebrafish+quokka")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    page.get_by_role("heading", name="Learning health", level=1).wait_for()
    assert overflow(page) == []
    page.get_by_label("Topic").select_option("schedule")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**topic=schedule**")
    assert "topic Schedule" in page.locator(".lead").inner_text()
    chart = page.locator("#searches svg[role=img]")
    assert chart.locator("title").text_content() == "Searches with no result"
    with page.expect_download() as download:
        page.locator("#searches").get_by_role("link", name="Download the months as CSV").click()
    lines = download.value.path().read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Month,Searches,With no result"
    assert lines[-1].endswith(",1,1")  # this month: one search, found nothing
    page.locator("#searches").get_by_text("The numbers by month").click()
    queries = page.locator("#searches table").last
    assert "zebrafish quokka" in queries.inner_text()
    assert overflow(page) == []
    page.screenshot(path=str(tmp_path / "dashboard-phone.png"))
    context.close()
