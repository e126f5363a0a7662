"""The search page: hits with snippets, facets, filters, sort, suggestions, bad queries."""

from __future__ import annotations

import re

import pytest

from kb.documents import services


@pytest.fixture
def corpus(kb, make_lesson):
    make_lesson(
        "Vendor interface specification arrived late",
        phase="build",
        body="## Summary\n\nThe supplier sent the interface specification three weeks late.\n",
    )
    make_lesson(
        "Supplier contract had no acceptance criteria",
        phase="procurement",
        project="ORION",
        topics="[procurement, quality]",
        tags="[contract]",
        body="## Summary\n\nWithout acceptance criteria the supplier disputed every defect.\n",
    )
    services.create_document(
        kb.db,
        "---\ntitle: Supplier onboarding\nproject: ATLAS\nstate: to-be\n"
        "topics: [procurement]\n---\n\n"
        "## Purpose\n\nHow a new supplier is registered and vetted.\n",
        actor="t",
        type_hint="process",
    )
    kb.projection.catch_up()


def test_results_with_snippets_badges_and_facets(client, corpus):
    response = client.get("/search?q=supplier")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "3 results" in page
    assert "<mark>" in page  # highlighted snippet
    assert "Supplier onboarding" in page and 'href="/processes/PM-' in page
    assert 'badge-type-process">Process model<' in page
    assert 'badge-project">ORION<' in page
    assert 'href="/search?q=supplier&amp;type=lesson"' in page  # a facet link adds a filter
    assert re.search(r'Lesson</span>\s*<span class="facet-count">2', page)
    assert 'href="/search?q=supplier&amp;project=ORION"' in page
    assert 'value="supplier"' in page  # the query stays in the box


def test_filters_show_as_removable_chips(client, corpus):
    page = client.get("/search?q=supplier&type=lesson&project=ORION").get_data(as_text=True)
    assert "1 result" in page and "Supplier contract had no acceptance criteria" in page
    assert "Supplier onboarding" not in page
    assert 'class="chip chip-active" href="/search?q=supplier&amp;project=ORION"' in page
    assert 'class="chip chip-active" href="/search?q=supplier&amp;type=lesson"' in page
    assert 'href="/search?q=supplier">Clear all</a>' in page


def test_sort_by_newest_and_browse_without_words(client, corpus):
    page = client.get("/search?q=supplier").get_data(as_text=True)
    assert 'href="/search?q=supplier&amp;sort=date">Newest</a>' in page
    page = client.get("/search?q=supplier&sort=date").get_data(as_text=True)
    assert '<strong aria-current="true">Newest</strong>' in page
    page = client.get("/search?topic=procurement").get_data(as_text=True)
    assert "3 results" in page


def test_pagination(app, client, corpus):
    app.config["KB_PER_PAGE"] = 2
    page = client.get("/search?q=supplier").get_data(as_text=True)
    assert "Page 1 of 2" in page and 'href="/search?q=supplier&amp;page=2"' in page
    page = client.get("/search?q=supplier&page=2").get_data(as_text=True)
    assert page.count('class="hit"') == 1


def test_did_you_mean(client, corpus):
    page = client.get("/search?q=suplier").get_data(as_text=True)
    assert 'Did you mean <a href="/search?q=supplier">supplier</a>?' in page


def test_no_results_suggests_a_way_out(client, corpus):
    page = client.get("/search?q=zebra&type=guide").get_data(as_text=True)
    assert "Nothing found" in page
    assert 'href="/search?q=zebra">search again without the filters' in page
    assert 'href="/search?topic=risk"' in page
    # fewer words: each word left out in turn, then any of them
    page = client.get("/search?q=zebra+quokka+walrus").get_data(as_text=True)
    assert "Nothing found" in page
    for q in ("quokka walrus", "zebra walrus", "zebra quokka", "zebra OR quokka OR walrus"):
        link = q.replace(" ", "+")
        assert f'href="/search?q={link}">{q}</a>' in page
    # nothing to shorten in a query with operators or quotes
    page = client.get('/search?q="zebra+crossing"').get_data(as_text=True)
    assert "Use fewer words:" not in page and "more general words" in page


def test_did_you_mean_is_said_once_when_nothing_is_found(client, corpus):
    page = client.get("/search?q=suplier").get_data(as_text=True)
    assert "Nothing found" in page
    assert page.count("Did you mean") == 1
    assert "Check the spelling. Did you mean" in page


@pytest.mark.parametrize("q", ['"unbalanced', "(open", "*", "x" * 5000, "ab*"])
def test_malformed_query_is_a_400_with_the_message(client, corpus, q):
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This search cannot be run:" in page
    assert 'class="hit"' not in page


def test_bad_page_is_a_400(client, corpus):
    assert client.get("/search?q=supplier&page=0").status_code == 400
    assert client.get("/search?q=supplier&page=x").status_code == 400


def test_help_text_explains_the_query_language(client):
    page = client.get("/search").get_data(as_text=True)
    for example in (
        "title:budget",
        "tag:vendor",
        "project:ATLAS",
        "topic:risk",
        "OR",
        "NOT",
        "plan*",
    ):
        assert example in page


def test_hostile_content_is_escaped_on_the_search_page(client, kb, make_lesson, assert_inert):
    hostile = "<script>alert(1)</script> <img src=x onerror=alert(2)>"
    make_lesson(
        f'"Hostile {hostile}"',
        body=f"## Summary\n\nHostile body {hostile}\n",
        project='"<script>alert(3)</script>"',
    )
    kb.projection.catch_up()
    for url in ("/search?q=hostile", "/search?q=alert", "/search?q=hostile&sort=date", "/search"):
        page = client.get(url).get_data(as_text=True)
        assert "Hostile" in page, url
        assert_inert(page, url)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url
    page = client.get("/search", query_string={"q": hostile}).get_data(as_text=True)
    assert_inert(page)
    for url in ("/", "/projects", "/lessons"):  # the project's name came from the lesson
        page = client.get(url).get_data(as_text=True)
        assert "&lt;script&gt;alert(3)&lt;/script&gt;" in page, url
        assert_inert(page, url)
