"""Take docs/screenshot-search.png: the search page at 1280x800 with results and facets.

    .venv/bin/python tests/browser/screenshot_search.py [QUERY] [--review DIR]

--review DIR also saves the other pages (desktop and a 360 px phone) for a look-over.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from live import CHROMIUM, CHROMIUM_ARGS, ROOT, serve  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

OUT = ROOT / "docs" / "screenshot-search.png"
REVIEW_PAGES = {
    "home": "/",
    "lessons": "/lessons?phase=design",
    "lesson": "/lessons/LL-2024-0001",
    "process": "/processes/PM-0001",
    "edit": "/lessons/LL-2024-0001/edit",
    "history": "/lessons/LL-2024-0001/history",
    "diff": "/lessons/LL-2024-0001/diff?a=1&b=2",
    "projects": "/projects",
    "project": "/projects/ATLAS",
    "search-filtered": "/search?q=supplier&type=lesson&project=ATLAS",
    "search-none": "/search?q=zebrafish&topic=risk",
    "search-bad": "/search?q=%22unbalanced",
    "error": "/lessons/LL-1999-0001",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("query", nargs="?", default="supplier")
    parser.add_argument("--review", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp)) as live, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{live.url}/search?q={args.query.replace(' ', '+')}")
        page.screenshot(path=str(OUT))
        print(f"wrote {OUT}")
        if args.review:
            _review(browser, live.url, args.review)
        browser.close()


def _review(browser, url: str, folder: Path) -> None:  # noqa: ANN001
    folder.mkdir(parents=True, exist_ok=True)
    desktop = browser.new_page(viewport={"width": 1280, "height": 800})
    # A second revision so that the diff page has something to show.
    desktop.goto(url + "/lessons/LL-2024-0001/edit")
    editor = desktop.locator("#markdown")
    editor.fill(editor.input_value().replace("eight weeks late", "eight weeks (40 days) late", 1))
    desktop.fill("#message", "Exact delay")
    desktop.click("button[value=save]")
    phone = browser.new_page(viewport={"width": 360, "height": 740})
    for name, path in {"search": "/search?q=supplier+interface", **REVIEW_PAGES}.items():
        for label, page in (("desktop", desktop), ("phone", phone)):
            page.goto(url + path)
            page.screenshot(path=str(folder / f"{name}-{label}.png"), full_page=True)
    # A conflict: two people edit the same version; the second save is refused.
    other = browser.new_page(viewport={"width": 1280, "height": 800})
    desktop.goto(url + "/lessons/LL-2024-0002/edit")
    other.goto(url + "/lessons/LL-2024-0002/edit")
    other.locator("#markdown").fill(other.locator("#markdown").input_value() + "\nTheirs.\n")
    other.click("button[value=save]")
    desktop.locator("#markdown").fill(desktop.locator("#markdown").input_value() + "\nMine.\n")
    desktop.click("button[value=save]")
    desktop.screenshot(path=str(folder / "conflict-desktop.png"), full_page=True)
    print(f"review pages in {folder}")


if __name__ == "__main__":
    main()
