"""The pages' url_for (kb.web.urls.page_url) builds each address once, and every address it
gives is the one Flask's url_for builds for that request."""

from __future__ import annotations

from flask import url_for

from kb.web import urls
from kb.web.urls import page_url

CALLS = [
    ("web.home", {}),
    ("static", {"filename": "kb.css"}),
    ("web.list_documents", {"folder": "lessons"}),
    ("web.list_documents", {"folder": "lessons", "topic": "cost & scope"}),
    ("web.document", {"folder": "lessons", "doc_id": "LL-2025-0001"}),
    ("web.search", {"tag": ["vendor", "legal"]}),  # a list: not a key, built every time
    ("web.search", {"page": 1}),
    ("web.search", {"page": True}),  # equal to 1 as a key, not as an address
    ("web.document", {"folder": "lessons", "doc_id": "LL-1", "_anchor": "actions"}),
    ("web.home", {"_external": True}),
]


def test_addresses_are_flasks_for_each_root_host_and_scheme(app):
    for _ in range(2):  # built, then kept
        for base in (
            "http://kb.example",
            "http://kb.example/kb",
            "https://kb.example",
            "http://other.example",
        ):
            with app.test_request_context("/", base_url=base):
                for endpoint, values in CALLS:
                    assert page_url(endpoint, **values) == url_for(endpoint, **values), base
    assert app.extensions["kb_urls"]


def test_kept_addresses_are_per_app_and_bounded(app, monkeypatch):
    monkeypatch.setattr(urls, "KEPT", 3)
    with app.test_request_context("/"):
        for n in range(10):
            assert page_url("web.document", folder="lessons", doc_id=f"LL-{n}") == (
                f"/lessons/LL-{n}"
            )
            assert len(app.extensions["kb_urls"]) <= 3


def test_pages_link_through_it(client):
    page = client.get("/lessons").get_data(as_text=True)
    assert 'href="/static/kb.css"' in page and 'href="/glossary"' in page
