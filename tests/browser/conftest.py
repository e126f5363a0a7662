"""Browser fixtures: one live kb on SQLite and a headless Chromium page."""

from __future__ import annotations

import os

import pytest

from .live import CHROMIUM, CHROMIUM_ARGS, chromium_missing_reason, serve


@pytest.fixture
def live_kb(sqlite_template, tmp_path):
    with serve(tmp_path, template=sqlite_template) as live:
        yield live


@pytest.fixture(scope="session")
def chromium():
    reason = chromium_missing_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium is required under CI=true: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def watched_page(chromium, expected_errors: list[str]):  # noqa: ANN001, ANN201
    """A desktop-sized page whose script errors and console errors must be exactly
    `expected_errors` when the test ends."""
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    assert errors == expected_errors, errors


@pytest.fixture
def page(chromium):
    yield from watched_page(chromium, [])
