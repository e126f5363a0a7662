"""Home, lists with filters, projects, error pages."""

from __future__ import annotations

import re

from kb.documents import services


def test_home_shows_search_counts_recent_lessons_guides_and_projects(client, kb, make_lesson):
    make_lesson("Vendor interface specification arrived late")
    make_lesson("Weekly steering meetings kept scope stable", project="ORION", polarity="success")
    services.create_document(
        kb.db,
        "---\ntitle: Welcome to the PMO\norder: 1\n---\n\nHello.\n",
        actor="t",
        type_hint="guide",
    )
    services.create_document(
        kb.db,
        "---\ntitle: How to read a lesson\norder: 2\n---\n\nRead.\n",
        actor="t",
        type_hint="guide",
    )
    page = client.get("/").get_data(as_text=True)
    assert 'role="search"' in page and 'name="q"' in page
    assert "<strong>2</strong> lessons" in page
    assert "<strong>2</strong> guides" in page
    assert "Vendor interface specification arrived late" in page
    assert page.index("Welcome to the PMO") < page.index("How to read a lesson")
    assert 'href="/projects/ORION"' in page and 'href="/projects/ATLAS"' in page


def test_every_page_has_the_layout(client):
    for url in ("/", "/lessons", "/processes", "/guides", "/projects", "/search", "/lessons/new"):
        page = client.get(url).get_data(as_text=True)
        assert 'class="skip-link" href="#main"' in page, url
        assert 'id="header-q"' in page, url
        assert "/static/kb.css" in page, url
        assert "<script>" not in page and " onclick=" not in page, url


def test_navigation_marks_the_current_page(client):
    page = client.get("/processes").get_data(as_text=True)
    assert re.search(r'href="/processes" aria-current="page"', page)
    assert not re.search(r'href="/lessons" aria-current', page)


def test_lesson_list_filters(client, make_lesson):
    make_lesson("Vendor interface specification arrived late", phase="build")
    make_lesson(
        "Test environment was not ready",
        phase="testing",
        project="ORION",
        tags="[environments]",
        status="draft",
        topics="[quality]",
    )
    page = client.get("/lessons").get_data(as_text=True)
    assert "2 lessons" in page and 'href="/lessons/new/form"' in page
    page = client.get("/lessons?phase=testing").get_data(as_text=True)
    assert "Test environment was not ready" in page
    assert "Vendor interface specification" not in page
    assert "1 lesson match these filters" in page
    assert '<option value="testing" selected>' in page
    page = client.get("/lessons?project=ORION&tag=environments&status=draft").get_data(as_text=True)
    assert "Test environment was not ready" in page and "Vendor interface" not in page
    page = client.get("/lessons?topic=procurement").get_data(as_text=True)
    assert "Vendor interface" in page and "Test environment" not in page
    page = client.get("/lessons?polarity=success").get_data(as_text=True)
    assert "Nothing here with these filters" in page


def test_list_selects_come_from_the_vocabularies(client, make_lesson):
    make_lesson(project="ATLAS")
    page = client.get("/lessons").get_data(as_text=True)
    for option in ("change management", "procurement", "in_review", "success", "ATLAS"):
        assert f'<option value="{option}"' in page
    guides = client.get("/guides").get_data(as_text=True)
    assert 'name="polarity"' not in guides and 'href="/guides/new/form"' in guides


def test_list_pagination(app, client, make_lesson):
    app.config["KB_PER_PAGE"] = 2
    for n in range(5):
        make_lesson(f"Lesson number {n}")
    page = client.get("/lessons?phase=build").get_data(as_text=True)
    assert "Page 1 of 3" in page
    assert 'href="/lessons?page=2&amp;phase=build"' in page
    page = client.get("/lessons?page=3&phase=build").get_data(as_text=True)
    assert "Page 3 of 3" in page and page.count('class="doc-item"') == 1


def test_bad_page_number_is_a_400_page(client):
    response = client.get("/lessons?page=abc")
    assert response.status_code == 400
    assert "must be a whole number" in response.get_data(as_text=True)


def test_projects_list_and_page(client, make_lesson, kb):
    make_lesson("Vendor interface specification arrived late", project="ATLAS")
    services.create_document(
        kb.db,
        "---\ntitle: Supplier onboarding\nproject: ATLAS\nstate: to-be\n---\n\n## Purpose\n",
        actor="t",
        type_hint="process",
    )
    page = client.get("/projects").get_data(as_text=True)
    assert 'href="/projects/ATLAS"' in page
    assert 'href="/lessons?project=ATLAS">1</a>' in page
    assert 'href="/processes?project=ATLAS">1</a>' in page
    page = client.get("/projects/ATLAS").get_data(as_text=True)
    assert "Vendor interface specification arrived late" in page
    assert "Supplier onboarding" in page
    assert client.get("/projects/NOPE").status_code == 404


def test_project_description_is_rendered_and_sanitised(client, kb):
    from kb.projects import services as projects

    with kb.db.write() as s:
        projects.upsert_project(
            s,
            projects.parse_project(
                "---\nkey: ORION\nname: Orion CRM\nmanager: Dana\n---\n\n"
                "The **CRM** rollout.\n\n<script>alert(1)</script>\n"
            ),
        )
    page = client.get("/projects/ORION").get_data(as_text=True)
    assert "<strong>CRM</strong>" in page and "Dana" in page
    assert "<script>alert" not in page


def test_unknown_page_is_an_html_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Not found" in response.get_data(as_text=True)


def test_api_errors_stay_json(client):
    response = client.get("/api/lessons/LL-1999-0001")
    assert response.status_code == 404 and response.is_json
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404 and response.is_json


def test_cross_site_posts_are_refused(client):
    response = client.post(
        "/lessons/new",
        data={"markdown": "---\ntitle: x\n---\n"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    response = client.post(
        "/lessons/new",
        data={"markdown": "---\ntitle: x\n---\n"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403


def test_a_project_page_shows_its_latest_lessons_and_says_how_many_there_are(client, make_lesson):
    for n in range(22):
        make_lesson(f"Lesson number {n:02d} of the tender", project="ATLAS")
    page = client.get("/projects/ATLAS").get_data(as_text=True)
    assert 'Lessons <span class="sub">(22)</span>' in page
    assert page.count('class="doc-item"') == 20 and "The 20 last changed." in page
    assert ">All 22 lessons →</a>" in page and 'href="/lessons?project=ATLAS"' in page
    assert page.index("Lesson number 21") < page.index("Lesson number 20")  # latest first
    assert "Lesson number 00" not in page and "Lesson number 01" not in page
