"""Helpers for the page tests."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest


class _ActiveContent(HTMLParser):
    """Collects what a browser would run: inline scripts, event handler attributes,
    javascript: URLs. Escaped text (`&lt;script&gt;`) is text and is not collected."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.found.append("inline <script>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}=javascript:...>")


def active_content(page: str) -> list[str]:
    parser = _ActiveContent()
    parser.feed(page)
    parser.close()
    return parser.found


@pytest.fixture
def assert_inert():
    """assert_inert(page): the page contains no script a browser would run."""

    def check(page: str, where: str = "") -> None:
        found = active_content(page)
        assert not found, (where, found)
        assert "<script>" not in page, where

    return check
