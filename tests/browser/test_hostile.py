"""Hostile Markdown saved by a contributor, then viewed in real Chromium: no script runs."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .live import EDITOR

pytestmark = pytest.mark.browser

RUN = "window.__pwned = (window.__pwned || 0) + 1"
PAYLOADS = [
    f"<script>{RUN}</script>",
    f'<img src=x onerror="{RUN}">',
    f'<svg onload="{RUN}"></svg>',
    f'<iframe srcdoc="<script>parent.{RUN}</script>"></iframe>',
    f"[click](javascript:{RUN})",
    f"[click](JaVaScRiPt:{RUN})",
    f"[click](java&#x09;script:{RUN})",
    f"[click](&#106;avascript:{RUN})",
    f"![x](javascript:{RUN})",
    f"[ref][1]\n\n[1]: javascript:{RUN}",
    f"<javascript:{RUN}>",
    f"[x](data:text/html,<script>{RUN}</script>)",
    f"[x](vbscript:{RUN})",
    f'*hi*{{: onclick="{RUN}" }}',
    f'<a href="#" onmouseover="{RUN}">hover</a>',
    f'<details open ontoggle="{RUN}">x</details>',
    f'<body onload="{RUN}">',
    f"<style>@import 'javascript:{RUN}';</style>",
    f'<object data="javascript:{RUN}"></object>',
    f'<embed src="javascript:{RUN}">',
    f'<form action="javascript:{RUN}"><button>go</button></form>',
    f'<meta http-equiv="refresh" content="0;url=javascript:{RUN}">',
    f'[a]("onmouseover="{RUN})',
    f"<scr<script>ipt>{RUN}</scr</script>ipt>",
]


def test_hostile_markdown_runs_no_script(live_kb, page):
    kb = live_kb.app.extensions["kb"]
    from kb.documents import services

    ids = []
    for n, payload in enumerate(PAYLOADS):
        source = (
            f"---\ntitle: 'Hostile {n} <img src=x onerror=\"{RUN}\">'\ntags: [hostile]\n---\n\n"
            f"## Summary\n\n{payload}\n\nhostile{n} end\n"
        )
        ids.append(services.create_document(kb.db, source, actor="mallory", type_hint="lesson").id)
    kb.projection.catch_up()

    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(live_kb.url + "/login")
    page.get_by_label("Username").fill(EDITOR[0])
    page.get_by_label("Password").fill(EDITOR[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".account-name")).to_be_visible()

    for doc_id in ids:
        page.goto(f"{live_kb.url}/lessons/{doc_id}")
        expect(page.locator("main")).to_contain_text("end")
        # hover what an attacker hoped for: the links of the rendered text and the title
        for link in page.locator("main .prose a, main h1 a").all():
            link.hover()
        assert page.evaluate("window.__pwned") is None, doc_id
    page.goto(f"{live_kb.url}/search?q=hostile")
    expect(page.locator("li.hit").first).to_be_visible()
    page.goto(f"{live_kb.url}/lessons?tag=hostile")
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []
