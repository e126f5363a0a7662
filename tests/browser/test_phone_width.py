"""Every page of the tour fits a 390 px phone: nothing makes the page scroll sideways (a
wide table scrolls inside its own box), as an admin and, where pages differ, as a reader."""

from __future__ import annotations

import pytest

from .tour import ADMIN, PAGES, READER, furnish, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
#: pages that answer with an error as the admin
ERROR_PAGES = {"not-found": 404}


def overflow(page) -> list[str]:  # noqa: ANN001
    """The page's width when wider than the viewport, with the elements sticking out."""
    return page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          if (document.documentElement.scrollWidth <= width) return [];
          const out = [`scrollWidth ${document.documentElement.scrollWidth} > ${width}`];
          for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            if (r.right > width + 1 && out.length < 8) {
              out.push(`${el.tagName.toLowerCase()}.${el.className} right=${Math.round(r.right)}`);
            }
          }
          return out;
        }"""
    )


@pytest.mark.parametrize("who", [ADMIN, READER], ids=["admin", "reader"])
def test_every_page_fits_a_phone(live_kb, chromium, who):
    furnish(live_kb.app)
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_kb.url, who)
    problems = {}
    visited = 0
    for name, path, differs in PAGES:
        if who is READER and not differs or name == "login":
            continue
        response = page.goto(live_kb.url + path)
        if who is ADMIN:
            assert response.status == ERROR_PAGES.get(name, 200), (name, path, response.status)
        else:  # a reader is refused the curators' and admins' pages: the 403 page must fit too
            assert response.status in (200, 403), (name, path, response.status)
        visited += 1
        wide = overflow(page)
        if wide:
            problems[name] = wide
    context.close()
    assert visited >= (30 if who is ADMIN else 10)
    assert not problems, problems
