"""Screenshots of kb's main pages at 1280 px and on a 390 px phone, from the starter content:
docs/screenshots/NAME-desktop.png and NAME-phone.png (one screen each, not the whole page),
and the README's docs/screenshot-search.png.

    make screenshots                         # or: .venv/bin/python -m tests.browser.screenshots
    .venv/bin/python -m tests.browser.screenshots --review DIR   # every page of the tour, whole

--review DIR saves every page of the tour (tests/browser/tour.py), whole, for a look-over.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from .live import CHROMIUM, CHROMIUM_ARGS, ROOT, serve
from .tour import ADMIN, PAGES, furnish, sign_in

DOCS = ROOT / "docs"
#: the pages shown in docs/screenshots/, by their tour name
MAIN_PAGES = (
    "home",
    "search",
    "search-none",
    "lesson",
    "process",
    "project",
    "review",
    "queue",
    "dashboard",
    "form-new",
    "diff",
    "users",
    "events",
)
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--review", type=Path, help="save every page of the tour, whole, here")
    args = parser.parse_args()
    paths = dict((name, path) for name, path, _ in PAGES)
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp)) as live, sync_playwright() as p:
        furnish(live.app)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        folder = DOCS / "screenshots"
        folder.mkdir(exist_ok=True)
        for label, viewport in SIZES.items():
            page = browser.new_page(viewport=viewport)
            sign_in(page, live.url, ADMIN)
            if label == "desktop":
                page.goto(live.url + paths["search"])
                page.screenshot(path=str(DOCS / "screenshot-search.png"))
            names = paths if args.review else MAIN_PAGES
            for name in names:
                page.goto(live.url + paths[name])
                if args.review:
                    args.review.mkdir(parents=True, exist_ok=True)
                    shot = args.review / f"{name}-{label}.png"
                    page.screenshot(path=str(shot), full_page=True)
                if name in MAIN_PAGES:
                    page.screenshot(path=str(folder / f"{name}-{label}.png"))
            page.close()
        browser.close()
    print(f"wrote {DOCS / 'screenshot-search.png'} and {len(MAIN_PAGES) * len(SIZES)} in {folder}")


if __name__ == "__main__":
    main()
