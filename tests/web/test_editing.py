"""New documents, editing, preview, validation errors and conflicts."""

from __future__ import annotations

from kb.documents import services


def test_new_form_is_prefilled_with_the_template(client):
    page = client.get("/lessons/new").get_data(as_text=True)
    for heading in ("## Summary", "## What happened", "## Root cause", "## Recommendation"):
        assert heading in page
    assert "polarity: problem" in page
    page = client.get("/processes/new").get_data(as_text=True)
    assert "## Purpose" in page and "### Role" in page and "review_period_months: 12" in page
    page = client.get("/guides/new").get_data(as_text=True)
    assert "order:" in page


def test_filled_in_templates_are_valid(client):
    for folder in ("lessons", "processes", "guides"):
        page = client.get(f"/{folder}/new").get_data(as_text=True)
        source = page.split('name="markdown"', 1)[1].split(">", 1)[1].split("</textarea>")[0]
        source = source.replace("title:", "title: A title", 1).replace("&#34;", '"')
        response = client.post(f"/{folder}/new", data={"markdown": source})
        assert response.status_code == 303, (folder, response.get_data(as_text=True)[:2000])


def test_create_redirects_to_the_new_page_with_a_message(client, kb, lesson_md):
    response = client.post(
        "/lessons/new",
        data={"markdown": lesson_md("Kick-off without a sponsor"), "message": "From the workshop"},
    )
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/lessons/LL-2025-")
    page = client.get(location).get_data(as_text=True)
    assert "Kick-off without a sponsor" in page
    assert "created." in page  # the flash message
    doc_id = location.rsplit("/", 1)[1]
    revision = services.get_revision(kb.db, doc_id)
    assert revision.author == "ada" and revision.message == "From the workshop"


def test_preview_without_javascript_renders_and_keeps_the_text(client, lesson_md):
    source = lesson_md("Preview me", body="## Summary\n\nSome **bold** words.\n")
    response = client.post("/lessons/new", data={"markdown": source, "action": "preview"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<strong>bold</strong>" in page  # the rendered preview
    assert "Some **bold** words." in page  # the text in the textarea
    assert services.list_documents  # nothing was saved:
    assert client.get("/lessons").get_data(as_text=True).count('class="doc-item"') == 0


def test_edit_saves_a_new_version(client, kb, make_lesson):
    doc = make_lesson()
    page = client.get(f"/lessons/{doc.id}/edit").get_data(as_text=True)
    assert 'name="version" value="1"' in page
    assert "The vendor delivered the interface spec late." in page
    source = services.get_revision(kb.db, doc.id).markdown.replace("late.", "three weeks late.")
    response = client.post(
        f"/lessons/{doc.id}/edit",
        data={
            "markdown": source.replace("\n", "\r\n"),
            "version": "1",
            "message": "Be precise",
            "action": "save",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/lessons/{doc.id}"
    page = client.get(f"/lessons/{doc.id}").get_data(as_text=True)
    assert "three weeks late." in page and f"Saved {doc.id}." in page
    revision = services.get_revision(kb.db, doc.id)
    assert revision.number == 2 and revision.message == "Be precise"
    assert revision.markdown == source  # the browser's CRLF line endings are normalised


def test_validation_error_keeps_the_text_and_lists_problems(client, make_lesson):
    doc = make_lesson()
    source = "---\ntitle: Still here\nstatus: shiny\nphase: nowhere\n---\n\nMy careful words.\n"
    response = client.post(
        f"/lessons/{doc.id}/edit", data={"markdown": source, "version": "1", "message": "note"}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "My careful words." in page and 'value="note"' in page
    assert "<code>status</code>" in page and "<code>phase</code>" in page
    assert "shiny" in page


def test_too_large_and_broken_front_matter(client, make_lesson):
    doc = make_lesson()
    big = "---\ntitle: Big\n---\n\n" + "x" * (1024 * 1024 + 10)
    response = client.post(f"/lessons/{doc.id}/edit", data={"markdown": big, "version": "1"})
    assert response.status_code == 413
    assert "the limit is" in response.get_data(as_text=True)
    response = client.post("/lessons/new", data={"markdown": "---\ntitle: [unclosed\n---\n"})
    assert response.status_code == 400
    assert "[unclosed" in response.get_data(as_text=True)


def test_stale_version_is_a_409_that_keeps_the_users_text(client, kb, make_lesson, lesson_md):
    doc = make_lesson()
    services.update_document(
        kb.db,
        doc.id,
        lesson_md(body="## Summary\n\nSomeone else's change.\n"),
        base_version=1,
        actor="colleague",
        message="Their fix",
    )
    mine = lesson_md(body="## Summary\n\nMy own change.\n")
    response = client.post(
        f"/lessons/{doc.id}/edit", data={"markdown": mine, "version": "1", "message": "Mine"}
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "My own change." in page  # kept in the textarea
    assert 'name="version" value="2"' in page  # saving again goes on top of the current one
    assert "<del>" in page and "<ins>" in page
    assert "Someone else&#39;s change." in page and "Their fix" in page
    response = client.post(
        f"/lessons/{doc.id}/edit", data={"markdown": mine, "version": "2", "message": "Mine"}
    )
    assert response.status_code == 303
    assert services.get_revision(kb.db, doc.id).number == 3


def test_edit_without_a_version_is_refused(client, make_lesson, lesson_md):
    doc = make_lesson()
    response = client.post(f"/lessons/{doc.id}/edit", data={"markdown": lesson_md("Mine")})
    assert response.status_code == 400
    assert "Mine" in response.get_data(as_text=True)


def test_editing_a_missing_document_is_404(client):
    assert client.get("/lessons/LL-2025-0404/edit").status_code == 404
    response = client.post("/lessons/LL-2025-0404/edit", data={"markdown": "x", "version": "1"})
    assert response.status_code == 404


def test_edit_page_loads_the_preview_script_from_a_file(client, make_lesson):
    doc = make_lesson()
    page = client.get(f"/lessons/{doc.id}/edit").get_data(as_text=True)
    assert '<script src="/static/edit.js" defer></script>' in page
    assert 'data-preview-type="lesson"' in page
    with client.get("/static/edit.js") as script:
        assert script.status_code == 200


def test_the_front_matter_type_decides_where_a_new_document_goes(client):
    source = "---\ntype: process\ntitle: Change request handling\n---\n\n## Purpose\n"
    response = client.post("/lessons/new", data={"markdown": source})
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/processes/PM-")


def test_creating_an_existing_id_is_a_409_on_the_form(client, make_lesson, lesson_md):
    doc = make_lesson()
    response = client.post("/lessons/new", data={"markdown": lesson_md("Copy", id=doc.id)})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "already exists" in page and "title: Copy" in page
