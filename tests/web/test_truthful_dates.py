"""Pages show a document's own dates, a queue's real waiting time, a briefing's gate date,
an audit log without "None", and the restricted marker with the groups."""

from __future__ import annotations

from kb.briefings.services import briefed_at
from kb.documents import services
from kb.documents.transfer import import_tree
from kb.web.admin_users import audit_details

IMPORTED = """---
id: LL-2025-0011
title: Licences were bought on headcount
status: submitted
project: ATLAS
occurred_on: 2025-06-13
updated: 2025-07-02
---

## Summary

Bought too many.
"""


def test_an_imported_file_carries_its_own_dates_and_the_queue_its_waiting_time(
    client, kb, tmp_path, make_project
):
    make_project("ATLAS")
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "a.md").write_text(IMPORTED, encoding="utf-8")
    undated = IMPORTED.replace("LL-2025-0011", "LL-2025-0012").replace("updated: 2025-07-02\n", "")
    (tmp_path / "lessons" / "b.md").write_text(undated, encoding="utf-8")
    assert import_tree(kb.db, tmp_path, actor="t").rejected == []
    doc = services.get_document(kb.db, "LL-2025-0011")
    assert doc.changed_at.date().isoformat() == "2025-07-02"
    assert services.get_document(kb.db, "LL-2025-0012").changed_at is None
    assert client.get("/api/lessons/LL-2025-0011").json["changed_at"] == "2025-07-02T00:00:00+00:00"
    assert client.get("/api/lessons/LL-2025-0012").json["changed_at"] is None
    listing = client.get("/lessons").get_data(as_text=True)
    assert 'Occurred <time datetime="2025-06-13">' in listing
    assert 'Changed <time datetime="2025-07-02">' in listing
    assert "Imported <time" in listing  # the undated one, labelled as such
    assert "Updated" not in listing
    page = client.get("/lessons/LL-2025-0012").get_data(as_text=True)
    assert "<dt>Imported</dt>" in page and "the file gave no date of its own" in page
    queue = client.get("/queue").get_data(as_text=True)
    assert '<time datetime="2025-07-02T00:00:00+00:00">' in queue and "under an hour" not in queue
    assert "Not known" in queue  # the undated one: kb does not pretend it just arrived
    # a person's save is the new date, and it is theirs
    source = services.get_revision(kb.db, "LL-2025-0011").markdown.replace("too many", "more")
    services.update_document(kb.db, "LL-2025-0011", source, base_version=1, actor="ada")
    page = client.get("/lessons/LL-2025-0011").get_data(as_text=True)
    assert "<dt>Last changed</dt>" in page and " by ada</dd>" in page


def test_a_briefing_is_dated_by_the_gate_decision():
    gate = {"decidedAt": "2025-04-02T10:30:00+02:00", "gate": {"id": "G2"}}
    assert briefed_at(gate, "gate").isoformat() == "2025-04-02T08:30:00+00:00"
    assert (
        briefed_at({"actualStart": "2025-01-13"}, "started").isoformat().startswith("2025-01-13T00")
    )


def test_the_audit_log_never_prints_none(client, kb, make_lesson):
    assert audit_details({"from": "draft", "to": "submitted", "reason": None}) == (
        "from: draft; to: submitted"
    )
    assert audit_details({"role": [None, "curator"]}) == "role: — → curator"
    assert audit_details({}) == "—"
    make_lesson()
    doc = make_lesson("Second", status="draft")
    client.post(f"/api/lessons/{doc.id}/transitions", json={"to": "submitted"})
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "None" not in page, page[page.index("None") - 300 : page.index("None") + 50]
    assert "lesson.submitted" in page


def test_restricted_documents_carry_their_groups_for_those_who_see_them(login_as, kb, make_lesson):
    make_lesson("Quarter close overran", visibility="restricted", groups="[finance, pmo]")
    make_lesson("Open lesson")
    kb.projection.catch_up()
    marker = "Restricted — finance, pmo"
    finance = login_as("reader", "fin", groups=["finance"])
    for url in ("/lessons", "/search?q=quarter", "/lessons/LL-2025-0001"):
        assert marker in finance.get(url).get_data(as_text=True), url
    other = login_as("reader", "other").get("/lessons").get_data(as_text=True)
    assert "Restricted" not in other and "Open lesson" in other
