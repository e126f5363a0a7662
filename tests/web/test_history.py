"""History, comparing revisions, reading and restoring an old revision."""

from __future__ import annotations

from kb.documents import services


def _two_versions(kb, make_lesson, lesson_md):
    doc = make_lesson()
    services.update_document(
        kb.db,
        doc.id,
        lesson_md(body="## Summary\n\nThe <vendor> was late & sorry.\n"),
        base_version=1,
        actor="colleague",
        message="Reworded",
    )
    return doc


def test_history_lists_revisions(client, kb, make_lesson, lesson_md):
    doc = _two_versions(kb, make_lesson, lesson_md)
    page = client.get(f"/lessons/{doc.id}/history").get_data(as_text=True)
    assert "Revision 2" in page and "Revision 1" in page
    assert f'<h1>History <span class="sub">{doc.title}</span></h1>' in page
    assert "colleague" in page and "tester" in page and "Reworded" in page
    assert f'action="/lessons/{doc.id}/diff"' in page
    assert f'action="/lessons/{doc.id}/revisions/1/restore"' in page


def test_diff_marks_additions_and_removals_escaped(client, kb, make_lesson, lesson_md):
    doc = _two_versions(kb, make_lesson, lesson_md)
    response = client.get(f"/lessons/{doc.id}/diff?a=2&b=1")  # either order
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Revision 1 → 2" in page
    assert "The vendor delivered the interface spec late." in page.split("<del>", 1)[1]
    assert "The &lt;vendor&gt; was late &amp; sorry." in page.split("<ins>", 1)[1]
    assert "<vendor>" not in page
    assert client.get(f"/lessons/{doc.id}/diff?a=1&b=9").status_code == 404
    assert client.get(f"/lessons/{doc.id}/diff?a=x&b=1").status_code == 400


def test_view_one_revision(client, kb, make_lesson, lesson_md):
    doc = _two_versions(kb, make_lesson, lesson_md)
    page = client.get(f"/lessons/{doc.id}/revisions/1").get_data(as_text=True)
    assert "The vendor delivered the interface spec late." in page
    assert "Restore this revision" in page
    assert client.get(f"/lessons/{doc.id}/revisions/7").status_code == 404


def test_restore_adds_a_revision(client, kb, make_lesson, lesson_md):
    doc = _two_versions(kb, make_lesson, lesson_md)
    response = client.post(f"/lessons/{doc.id}/revisions/1/restore", data={"version": "2"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Restored revision 1" in page
    current = services.get_revision(kb.db, doc.id)
    assert current.number == 3
    assert current.markdown == services.get_revision(kb.db, doc.id, 1).markdown


def test_restore_with_a_stale_version_explains(client, kb, make_lesson, lesson_md):
    doc = _two_versions(kb, make_lesson, lesson_md)
    response = client.post(f"/lessons/{doc.id}/revisions/1/restore", data={"version": "1"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Not restored" in page and "changed since you opened it" in page
    assert services.get_revision(kb.db, doc.id).number == 2
