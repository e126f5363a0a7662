"""Glossary terms: a kind of document, and the first use of each term in a page links to it."""

from __future__ import annotations

import re

from kb.documents import services
from kb.markdown import to_html
from kb.markdown.glossary import Entry, Linker


def term(kb, title: str, *, aliases: str = "[]", extra: str = "", status: str = "published"):
    source = (
        f"---\ntitle: {title}\nsummary: What {title} means.\nstatus: {status}\n"
        f"aliases: {aliases}\nrelated: [Risk]\n{extra}---\n\n{title} explained.\n"
    )
    return services.create_document(kb.db, source, actor="test", type_hint="term")


def links(page: str, href: str) -> int:
    """Links to `href` in the document's text (not the header, breadcrumbs or aside)."""
    prose = page.split('<div class="prose">', 1)[1].split("</div>", 1)[0]
    return len(re.findall(f'<a href="{re.escape(href)}"', prose))


LINKER = Linker(
    [
        Entry(("RAID log", "RAID"), "/glossary/GL-0001", 'Risks "and" <issues>'),
        Entry(("Stage gate",), "/glossary/GL-0002", "A decision point"),
    ]
)


def test_the_first_use_only_is_linked_and_the_longest_name_wins():
    html = to_html("Keep the RAID log weekly. The RAID is read at each stage   gate. RAID log.")
    out = LINKER.link(html)
    assert out.count('href="/glossary/GL-0001"') == 1 and "RAID log</a>" in out
    assert out.count('href="/glossary/GL-0002"') == 1 and ">stage   gate</a>" in out
    assert 'title="Risks &quot;and&quot; &lt;issues&gt;"' in out  # the definition is escaped


def test_code_links_and_headings_are_left_alone():
    source = (
        "# RAID log\n\n## The stage gate\n\n`RAID log` and [the RAID log](https://x.example) "
        "and\n\n```\nstage gate\n```\n\nthen a RAID log."
    )
    out = LINKER.link(to_html(source))
    assert "<h1>RAID log</h1>" in out and "The stage gate</h2>" in out
    assert "<code>RAID log</code>" in out and ">the RAID log</a>" in out
    assert "stage gate\n</code></pre>" in out
    assert out.count('href="/glossary/GL-0001"') == 1 and "a <a" in out
    assert 'href="/glossary/GL-0002"' not in out  # only used in a heading and in code


def test_plurals_count_as_uses():
    out = LINKER.link(to_html("Two stage gates, then a stage gate. RAID logs."))
    assert ">stage gates</a>," in out and ">RAID logs</a>." in out and out.count("<a ") == 2


def test_words_inside_words_capitals_and_hostile_text():
    out = LINKER.link(to_html("RAIDS, raid and stage-gates. <script>x</script> RAID."))
    assert out.count("<a ") == 1 and ">RAID</a>." in out  # not RAIDS, not "raid" (capitals)
    assert "<script>" not in out
    hostile = Linker([Entry(("x",), 'javascript:alert(1)" onclick="y', "t")])
    assert "onclick" not in hostile.link("<p>an x</p>") and "javascript" not in hostile.link(
        "<p>an x</p>"
    )


def test_a_term_is_a_document_with_aliases_and_related_terms(kb):
    doc = term(kb, "RAID log", aliases="[RAID, RAID register]")
    assert doc.id == "GL-0001" and doc.type == "term"
    assert doc.extra == {"aliases": ["RAID", "RAID register"], "related": ["Risk"]}


def test_pages_link_terms_written_after_the_document_without_editing_it(
    client, make_lesson, kb, login_as
):
    lesson = make_lesson(body="## Summary\n\nThe RAID register was late. The RAID register.\n")
    assert 'href="/glossary/' not in client.get(f"/lessons/{lesson.id}").get_data(as_text=True)
    raid = term(kb, "RAID log", aliases="[RAID register]")
    page = client.get(f"/lessons/{lesson.id}").get_data(as_text=True)
    assert links(page, f"/glossary/{raid.id}") == 1
    api = client.get(f"/api/lessons/{lesson.id}").json["html"]
    assert api.count(f'href="/glossary/{raid.id}"') == 1 and "RAID register" in api
    # the entry's own page does not link to itself; its related terms are listed
    own = client.get(f"/glossary/{raid.id}").get_data(as_text=True)
    assert links(own, f"/glossary/{raid.id}") == 0 and "Related terms" in own
    assert "Also called" in own and "RAID register" in own


def test_restricted_and_unpublished_terms_are_not_linked_for_outsiders(kb, make_lesson, login_as):
    lesson = make_lesson(body="## Summary\n\nThe escrow was late; the runbook too.\n")
    secret = term(kb, "Escrow", extra="visibility: restricted\ngroups: [finance]\n")
    term(kb, "Runbook", status="draft")
    outsider = login_as("reader", "rita").get(f"/lessons/{lesson.id}").get_data(as_text=True)
    insider = login_as("reader", "fin", groups=["finance"]).get(f"/lessons/{lesson.id}")
    assert f"/glossary/{secret.id}" not in outsider and "Escrow" not in outsider
    assert links(insider.get_data(as_text=True), f"/glossary/{secret.id}") == 1
    assert "Runbook" not in insider.get_data(as_text=True)


def test_the_glossary_is_listed_searched_and_faceted(client, kb):
    term(kb, "Critical friend", aliases="[critical friend review]")
    listed = client.get("/glossary").get_data(as_text=True)
    assert "Critical friend" in listed and "Glossary" in listed
    kb.projection.catch_up()
    found = client.get("/api/search?q=friend").json
    assert [hit["id"] for hit in found["hits"]] == ["GL-0001"]
    assert any(f["value"] == "term" for f in found["facets"]["type"])
    assert client.get("/api/glossary/GL-0001").json["aliases"] == ["critical friend review"]


def test_the_glossary_lists_every_term_on_one_page_from_a_to_z(client, kb):
    names = [f"Charter {n:02}" for n in range(1, 23)] + ["Apex", "alpha", "Zeta", "3-point"]
    for name in names:
        term(kb, name)
    page = client.get("/glossary").get_data(as_text=True)
    assert 'aria-label="Pages"' not in page and "26 glossary terms" in page
    index = page[page.index('aria-label="Terms from A to Z"') :].split("</nav>", 1)[0]
    assert '<a href="#letter-A">A</a>' in index and '<a href="#letter-other">#</a>' in index
    assert '<span aria-hidden="true">B</span>' in index
    heads = re.findall(r'<h2 id="letter-(\w+)">', page)
    assert heads == ["other", "A", "C", "Z"]
    group_a = page.split('id="letter-A"', 1)[1].split("letter-group", 1)[0]
    assert group_a.index(">alpha<") < group_a.index(">Apex<")
    assert "Charter 22" in page
    # other orders keep their pages
    recent = client.get("/glossary?sort=updated").get_data(as_text=True)
    assert 'aria-label="Pages"' in recent and 'id="letter-A"' not in recent
