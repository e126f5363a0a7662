"""The approval panel of a process model's page: approvers kb cannot resolve are pointed out
(not waited for), a group nobody is in too, and a draft shows no approval of an earlier
round (each test runs on SQLite and PostgreSQL)."""

from __future__ import annotations

from kb.accounts.models import User
from kb.documents import services
from kb.processes.governance import take_step
from kb.readmodels.process_governance import process_detail
from tests.processes.test_governance import (
    CLEO,
    FIONA,
    OWEN,
    STEPS_V1,
    make,
    people,
    source,
    through_review,
)

__all__ = ["people"]  # the fixture, shared


def test_an_approver_kb_does_not_know_is_said_so_and_the_key_is_for_editors(
    kb, people, client, login_as, make_user
):
    make_user("pmo-lead", groups=["pmo"])
    make_user("gone", groups=["empty-group"])
    with kb.db.write() as s:  # the group stays, without members
        s.query(User).filter_by(username="gone").one().groups = []
    text = source(approvers="[owen.price, pmo, empty-group, head-of-warehouse]", status="published")
    doc = services.create_document(kb.db, text, actor="cleo", type_hint="process")
    named = process_detail(kb.db, doc, CLEO).named
    assert {n: (w.kind, w.members) for n, w in named.items()} == {
        "owen.price": ("user", 0),
        "pmo": ("group", 1),
        "empty-group": ("group", 0),
        "head-of-warehouse": ("unknown", 0),
    }
    page = client.get(f"/processes/{doc.id}").text
    panel = page[page.index('class="panel governance-panel"') :]
    panel = panel[: panel.index("</section>")]
    assert 'head-of-warehouse — <span class="approver-problem">not a kb user or group' in panel
    assert "group <strong>empty-group</strong>" in panel and "nobody is in this group yet" in panel
    assert "group <strong>pmo</strong> — approves the next version" in panel
    assert "set <code>approvers:</code> to kb usernames" in panel  # the admin may edit it
    reader = login_as("reader").get(f"/processes/{doc.id}").text
    assert "not a kb user or group" in reader and "approvers:" not in reader


def test_a_draft_after_publishing_shows_no_old_approval(kb, people, client):
    doc = through_review(kb, make(kb))
    published = process_detail(kb.db, doc, CLEO)
    assert [a.state for a in published.approvers] == ["approved", "approved"]
    steps_v2 = STEPS_V1.replace("3. **Order.**", "3. **Order.** System: ERP.")
    edited = services.update_document(
        kb.db, doc.id, source(steps=steps_v2), base_version=doc.version, actor="cleo"
    )
    assert edited.status == "draft"
    assert [a.state for a in process_detail(kb.db, edited, CLEO).approvers] == ["waiting"] * 2
    page = client.get(f"/processes/{doc.id}").text
    panel = page[page.index('class="panel governance-panel"') :]
    panel = panel[: panel.index("</section>")]
    assert "approved on" not in panel
    assert panel.count("will be asked when submitted") == 2


def test_the_top_of_the_page_says_where_approval_stands_and_links_to_it(kb, people, client):
    doc = make(kb)
    take_step(kb.db, doc.id, "submit", viewer=CLEO)
    take_step(kb.db, doc.id, "approve", viewer=OWEN)
    page = client.get(f"/processes/{doc.id}").text
    jump = page[page.index('<p class="approval-jump">') :]
    jump = " ".join(jump[: jump.index("</p>")].split())
    assert "Approval: In review, 1 of 2 approvals given" in jump
    assert '<a href="#approval">Go to Approval</a>' in jump
    assert page.index("approval-jump") < page.index("process-diagram")


def test_a_model_that_came_in_under_review_can_be_approved_and_published(kb, people):
    doc = make(kb, status="in_review")  # as the starter PM-0006: never submitted in kb
    take_step(kb.db, doc.id, "approve", viewer=OWEN)
    approved = take_step(kb.db, doc.id, "approve", viewer=FIONA)
    assert approved.status == "approved"
    assert [a.state for a in process_detail(kb.db, approved, CLEO).approvers] == ["approved"] * 2
    assert take_step(kb.db, doc.id, "publish", viewer=OWEN, note="First").status == "published"
