"""One document's page, its Markdown download, and hostile content."""

from __future__ import annotations

import re

from kb.documents import services

HOSTILE = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"


def test_lesson_page_shows_rendered_html_and_metadata(client, make_lesson):
    doc = make_lesson(
        "Vendor interface specification arrived late",
        author="Sam Lee",
        priority="high",
        body="## Summary\n\nThe vendor was **late**.\n\n## Lesson\n\nAsk early.\n",
        reviewed_by="Audit team",
    )
    response = client.get(f"/lessons/{doc.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<h1 id="doc-title">Vendor interface specification arrived late</h1>' in page
    assert "<strong>late</strong>" in page
    assert "Published" in page and "To improve" in page and "High priority" in page
    assert 'href="/projects/ATLAS"' in page
    assert 'href="/lessons?phase=build"' in page
    assert 'href="/lessons?topic=procurement"' in page
    assert 'href="/search?tag=vendor"' in page
    assert "14 Mar 2025" in page and "Sam Lee" in page
    assert "Reviewed by" in page and "Audit team" in page  # unknown front matter is shown
    assert f'href="/lessons/{doc.id}/edit"' in page
    assert f'href="/lessons/{doc.id}/history"' in page
    assert f'href="/lessons/{doc.id}.md"' in page


def test_process_model_page_shows_custody_and_next_review(client, kb):
    source = (
        "---\ntitle: Supplier onboarding\nowner: Head of Procurement\ncustodian: PMO\n"
        'version: "2.1"\nstate: to-be\nlast_reviewed: 2024-11-30\nreview_period_months: 3\n'
        "roles: [Buyer, Supplier]\n---\n\n## Purpose\n\nOnboard suppliers.\n"
    )
    doc = services.create_document(kb.db, source, actor="t", type_hint="process")
    page = client.get(f"/processes/{doc.id}").get_data(as_text=True)
    for text in ("Head of Procurement", "PMO", "2.1", "to-be", "30 Nov 2024", "Buyer, Supplier"):
        assert text in page
    assert "28 Feb 2025" in page  # 30 Nov + 3 months, clamped to the end of February
    assert "Review overdue since" in page


def test_related_documents_are_listed(client, kb, make_lesson):
    first = make_lesson("Vendor interface specification arrived late")
    make_lesson("Vendor contract lacked interface milestones")
    kb.projection.catch_up()
    page = client.get(f"/lessons/{first.id}").get_data(as_text=True)
    related = page[page.index('id="related-title"') :]
    assert related.startswith('id="related-title">Similar documents</h2>')
    assert "Vendor contract lacked interface milestones" in related


def test_document_404s(client, make_lesson):
    doc = make_lesson()
    assert client.get("/lessons/LL-2025-9999").status_code == 404
    response = client.get(f"/processes/{doc.id}")  # a lesson is not a process model
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)
    assert client.get(f"/guides/{doc.id}.md").status_code == 404


def test_markdown_download_is_the_exact_revision(client, kb, make_lesson):
    doc = make_lesson('"Réunion: café budget — 50% over"', body="## Summary\n\nÜmlauts ✓\r\n")
    response = client.get(f"/lessons/{doc.id}.md")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{doc.id}-reunion-cafe-budget-50-over.md"'
    )
    assert response.data == services.get_revision(kb.db, doc.id).markdown.encode("utf-8")


def test_hostile_content_is_escaped_on_the_document_page(client, kb, make_lesson, assert_inert):
    doc = make_lesson(
        f'"{HOSTILE} {IMG}"',
        tags="[xss]",
        author=f'"{IMG}"',
        body=f"## Summary\n\n{HOSTILE}\n\n{IMG}\n\n[x](javascript:alert(3))\n",
        note=f'"{HOSTILE}"',
    )
    page = client.get(f"/lessons/{doc.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the title, shown as text
    assert_inert(page)
    assert not re.search(r"<[^>]+\sonerror=", page)
    for url in (
        f"/lessons/{doc.id}/edit",
        f"/lessons/{doc.id}/history",
        f"/lessons/{doc.id}/revisions/1",
        "/lessons",
        "/",
    ):
        page = client.get(url).get_data(as_text=True)
        assert_inert(page, url)


def test_hostile_tags_are_refused_and_the_message_escaped(client, assert_inert):
    source = f'---\ntitle: Fine\ntags: ["{HOSTILE}", "{IMG}"]\n---\n\nText\n'
    response = client.post("/lessons/new", data={"markdown": source, "action": "save"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "may use only letters" in page
    assert_inert(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # kept in the textarea, escaped
