"""A process model's governance: every step, who may take it, the published version readers
keep seeing and the versions compared (each test runs on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kb.accounts.models import AuditEntry
from kb.accounts.viewer import Viewer
from kb.core.errors import Conflict, Forbidden, ValidationError
from kb.documents import services
from kb.documents.frontmatter_edit import with_front_matter
from kb.documents.models import Document
from kb.events.log.models import Event
from kb.notifications.models import Notification
from kb.processes import governance, versions
from kb.processes.governance import take_step
from kb.readmodels.process_governance import process_detail

CLEO = Viewer("cleo", "contributor")  # created the model
OWEN = Viewer("owen.price", "reader")  # approver and owner
FIONA = Viewer("fiona", "reader", frozenset({"finance"}))  # approves for finance
CORA = Viewer("cora", "curator")
RITA = Viewer("rita", "reader")
OTTO = Viewer("otto", "contributor")

STEPS_V1 = """
## Steps

### Buyer
1. **Raise the request.** System: ERP. Next: 2.
2. **Approve the request?** *Decision* Next: yes → 3; no → end.
3. **Order.**
"""


def source(
    approvers="[owen.price, finance]", steps=STEPS_V1, status="draft", expert="cleo", **more
):
    head = "".join(f"{k}: {v}\n" for k, v in more.items())
    approvers_line = f"approvers: {approvers}\n" if approvers else ""
    return (
        f"---\ntitle: Purchase approval\nstatus: {status}\nowner: owen.price\n"
        f"expert: {expert}\n{approvers_line}{head}---\n\n## Purpose\n\nBuy well.\n{steps}"
    )


@pytest.fixture
def people(make_user):
    make_user("owen.price")
    make_user("fiona", groups=["finance"])
    make_user("rita")


def make(kb, **fields):
    return services.create_document(
        kb.db, source(**fields), actor="cleo", type_hint="process", created_by="cleo"
    )


def events_of(kb, doc_id):
    with kb.db.read() as s:
        rows = s.execute(select(Event.type, Event.data).order_by(Event.seq)).all()
    return [
        (t.rsplit(".", 1)[-1], d)
        for t, d in rows
        if d.get("id") == doc_id and ".processmodel." in t
    ]


def audits(kb, doc_id):
    with kb.db.read() as s:
        rows = s.scalars(select(AuditEntry.action).where(AuditEntry.target == doc_id))
        return [a for a in rows if a.startswith("processmodel.") and a != "processmodel.created"]


def through_review(kb, doc, summary="First version."):
    take_step(kb.db, doc.id, "submit", viewer=CLEO)
    take_step(kb.db, doc.id, "approve", viewer=OWEN)
    take_step(kb.db, doc.id, "approve", viewer=FIONA)
    return take_step(kb.db, doc.id, "publish", viewer=CORA, note=summary)


def test_two_approvers_then_published_each_step_a_revision_an_event_and_an_audit(kb, people):
    doc = make(kb)
    submitted = take_step(kb.db, doc.id, "submit", viewer=CLEO, note="Ready")
    assert submitted.status == "in_review" and submitted.version == 2
    first = take_step(kb.db, doc.id, "approve", viewer=OWEN)
    assert first.status == "in_review"  # finance still to approve
    with kb.db.read() as s:
        state = {a.name: a.state for a in governance.approval_state(s, first)}
    assert state == {"owen.price": "approved", "finance": "waiting"}
    second = take_step(kb.db, doc.id, "approve", viewer=FIONA)
    assert second.status == "approved"
    published = take_step(kb.db, doc.id, "publish", viewer=CORA, note="First version.")
    assert published.status == "published" and published.version == 5
    assert published.published_revision == 5 and published.model_version == "1.0"
    markdown = services.get_revision(kb.db, doc.id).markdown
    assert "status: published" in markdown and "expert: cleo" in markdown
    steps = [t for t, _ in events_of(kb, doc.id) if t not in ("created",)]
    assert steps == ["submitted", "approved", "approved", "published"]
    data = dict(events_of(kb, doc.id))
    assert data["submitted"]["approvers"] == ["owen.price", "finance"]
    assert data["published"]["number"] == 1 and data["published"]["summary"] == "First version."
    assert audits(kb, doc.id) == [
        "processmodel.submit",
        "processmodel.approve",
        "processmodel.approve",
        "processmodel.publish",
    ]
    approved = [e for t, e in events_of(kb, doc.id) if t == "approved"]
    assert approved[0]["waiting"] == ["finance"] and approved[1]["waiting"] == []
    revisions = services.list_revisions(kb.db, doc.id)
    assert revisions[0].message == "Published 1.0: First version."


def test_who_may_take_which_step(kb, people):
    doc = make(kb)
    for who in (RITA, OTTO, FIONA):  # neither its editors, owner nor expert
        with pytest.raises(Forbidden, match="editors, owner and expert"):
            take_step(kb.db, doc.id, "submit", viewer=who)
    with pytest.raises(Forbidden):
        take_step(kb.db, doc.id, "submit", viewer=Viewer())  # anonymous (read access on)
    take_step(kb.db, doc.id, "submit", viewer=OWEN)  # the owner may submit
    by_expert = make(kb, approvers="[owen.price]", expert="rita")
    assert take_step(kb.db, by_expert.id, "submit", viewer=RITA).status == "in_review"
    with pytest.raises(Forbidden, match="its approvers"):
        take_step(kb.db, doc.id, "approve", viewer=CLEO)
    take_step(kb.db, doc.id, "approve", viewer=OWEN)
    with pytest.raises(Forbidden):  # approved already: nothing of theirs waits
        take_step(kb.db, doc.id, "approve", viewer=OWEN)
    with pytest.raises(ValidationError, match="cannot take the step 'publish'"):
        take_step(kb.db, doc.id, "publish", viewer=CORA, note="x")
    take_step(kb.db, doc.id, "approve", viewer=FIONA)
    with pytest.raises(Forbidden, match="owner and curators"):
        take_step(kb.db, doc.id, "publish", viewer=FIONA, note="x")
    with pytest.raises(ValidationError, match="change summary"):
        take_step(kb.db, doc.id, "publish", viewer=OWEN, note="  ")
    assert take_step(kb.db, doc.id, "publish", viewer=OWEN, note="v1").status == "published"
    with pytest.raises(Forbidden):
        take_step(kb.db, doc.id, "retire", viewer=CLEO)
    read_only = Viewer("owen.price", "reader", read_only=True)
    with pytest.raises(Forbidden):
        take_step(kb.db, doc.id, "retire", viewer=read_only)
    with pytest.raises(ValidationError, match="not a step"):
        take_step(kb.db, doc.id, "teleport", viewer=CORA)


def test_allowed_steps_are_what_the_buttons_offer(kb, people):
    doc = make(kb)
    with kb.db.read() as s:
        state = governance.approval_state(s, doc)
    assert governance.allowed_steps(CLEO, doc, state) == ["submit"]
    assert governance.allowed_steps(RITA, doc, state) == []
    doc = take_step(kb.db, doc.id, "submit", viewer=CLEO)
    assert [s.name for s in process_detail(kb.db, doc, FIONA).steps] == [
        "approve",
        "request_changes",
    ]
    assert process_detail(kb.db, doc, CORA).steps == []


def test_asking_for_changes_needs_a_note_and_returns_to_draft_for_a_new_round(kb, people):
    doc = make(kb)
    take_step(kb.db, doc.id, "submit", viewer=CLEO)
    take_step(kb.db, doc.id, "approve", viewer=OWEN)
    with pytest.raises(ValidationError, match="what to change"):
        take_step(kb.db, doc.id, "request_changes", viewer=FIONA)
    back = take_step(kb.db, doc.id, "request_changes", viewer=FIONA, note="Add the budget check")
    assert back.status == "draft"
    detail = process_detail(kb.db, back, CLEO)
    assert detail.changes_requested == ("fiona", "Add the budget check")
    assert [t for t, _ in events_of(kb, doc.id)][-1] == "changes_requested"
    again = take_step(kb.db, doc.id, "submit", viewer=CLEO)
    with kb.db.read() as s:  # a new round: the earlier approval no longer counts
        assert {a.state for a in governance.approval_state(s, again)} == {"waiting"}


def test_submitting_needs_approvers_kb_knows_and_the_owner_alone_may_approve(kb, people):
    unknown = make(kb, approvers="[owen.price, nobody-here]")
    with pytest.raises(ValidationError, match="no user or group nobody-here"):
        take_step(kb.db, unknown.id, "submit", viewer=CLEO)
    assert services.get_document(kb.db, unknown.id).status == "draft"  # nothing written
    alone = make(kb, approvers=None)  # no approvers: the owner approves
    take_step(kb.db, alone.id, "submit", viewer=CLEO)
    assert take_step(kb.db, alone.id, "approve", viewer=OWEN).status == "approved"
    nameless = services.create_document(
        kb.db, "---\ntitle: Nobody approves\n---\n\nText.\n", actor="cleo", type_hint="process"
    )
    with pytest.raises(ValidationError, match="Name who approves"):
        take_step(kb.db, nameless.id, "submit", viewer=CORA)


def test_a_stale_page_is_refused_unless_only_other_approvals_came_since(kb, people):
    doc = make(kb)
    with pytest.raises(Conflict, match="changed meanwhile"):
        take_step(kb.db, doc.id, "submit", viewer=CLEO, base_version=doc.version + 1)
    seen = take_step(kb.db, doc.id, "submit", viewer=CLEO).version
    take_step(kb.db, doc.id, "approve", viewer=OWEN, base_version=seen)
    # fiona's page is older than owen's approval: the text she approves is the one she saw
    done = take_step(kb.db, doc.id, "approve", viewer=FIONA, base_version=seen)
    assert done.status == "approved"
    again = make(kb)
    seen = take_step(kb.db, again.id, "submit", viewer=CLEO).version
    take_step(kb.db, again.id, "request_changes", viewer=OWEN, note="Shorter")
    current = services.get_document(kb.db, again.id).version
    services.update_document(
        kb.db, again.id, source(steps="Shorter."), base_version=current, actor="cleo"
    )
    take_step(kb.db, again.id, "submit", viewer=CLEO)
    with pytest.raises(Conflict, match="changed meanwhile"):  # the text changed since
        take_step(kb.db, again.id, "approve", viewer=FIONA, base_version=seen)


def test_readers_keep_the_published_version_while_the_next_is_drafted(kb, people):
    doc = through_review(kb, make(kb))
    v1 = doc.version
    steps_v2 = STEPS_V1.replace("3. **Order.**", "3. **Order.** System: ERP.\n4. **Receive.**")
    edited = services.update_document(
        kb.db, doc.id, source(steps=steps_v2, status="published"), base_version=v1, actor="cleo"
    )
    assert edited.status == "draft" and edited.published_revision == v1  # a typed status: no
    reader, editor = process_detail(kb.db, edited, RITA), process_detail(kb.db, edited, CLEO)
    assert reader.shown_revision == v1 and reader.shown_status == "published"
    assert editor.shown_revision == edited.version and editor.draft_over_published
    kb.projection.catch_up()
    assert not kb.index.query("Receive").hits  # search has the published text
    assert kb.index.query("Raise request").hits[0].status == "published"
    second = through_review(kb, edited, summary="Receiving added.")
    assert second.model_version == "2.0" and second.published_revision == second.version
    found = versions.list_versions(kb.db, second)
    assert [(v.number, v.label, v.summary) for v in found] == [
        (1, "1.0", "First version."),
        (2, "2.0", "Receiving added."),
    ]
    compared = versions.compare(kb.db, second, "1", "2", draft_allowed=False)
    assert [(s.number, s.name) for s in compared.added] == [(4, "Receive")]
    assert compared.removed == []
    assert [(c.number, c.fields) for c in compared.changed] == [
        (3, [("system", "", "ERP"), ("next steps", "end", "4")])
    ]
    assert "+4. **Receive.**" in compared.unified
    kb.projection.catch_up()
    assert kb.index.query("Receive").hits


def test_retired_stays_readable_and_searchable(kb, people):
    doc = through_review(kb, make(kb))
    retired = take_step(kb.db, doc.id, "retire", viewer=OWEN, note="Replaced by PM-0009")
    assert retired.status == "retired" and retired.published_revision == retired.version
    assert [t for t, _ in events_of(kb, doc.id)][-1] == "retired"
    kb.projection.catch_up()
    assert kb.index.query("Raise request").hits[0].status == "retired"
    edited = services.update_document(
        kb.db,
        doc.id,
        with_front_matter(source(), "status", "published"),
        base_version=retired.version,
        actor="cora",
    )
    assert edited.status == "retired"  # a save does not bring it back


def test_a_model_published_before_kb_kept_versions_is_version_one(kb, people):
    doc = make(kb, status="published", version='"2.1"')
    assert doc.published_revision is None
    assert [(v.number, v.label) for v in versions.list_versions(kb.db, doc)] == [(1, "2.1")]
    edited = services.update_document(
        kb.db, doc.id, source(version='"2.1"') + "\nMore.\n", base_version=1, actor="cleo"
    )
    assert edited.status == "draft" and edited.published_revision == 1
    second = through_review(kb, edited, summary="More")
    assert second.model_version == "3.0"
    found = versions.list_versions(kb.db, second)
    assert [(v.number, v.label, v.revision) for v in found] == [(1, "2.1", 1), (2, "3.0", 6)]


def told(kb) -> list[tuple[str, str]]:
    while kb.worker.run_pending():
        pass
    with kb.db.read() as s:
        rows = s.execute(select(Notification.username, Notification.kind).order_by(Notification.id))
        return [(u, k) for u, k in rows if k.startswith("processmodel.")]


def test_approvers_are_told_it_waits_for_them_and_the_owner_that_it_can_be_published(
    kb, people, make_user
):
    make_user("cleo", "contributor")
    make_user("cora", "curator")
    make_user("fred", groups=["finance"])  # a second member of the finance group
    doc = make(kb)
    take_step(kb.db, doc.id, "submit", viewer=CLEO)
    assert told(kb) == [
        ("fiona", "processmodel.submitted"),
        ("fred", "processmodel.submitted"),
        ("owen.price", "processmodel.submitted"),
    ]
    take_step(kb.db, doc.id, "request_changes", viewer=FIONA, note="Budget check")
    assert told(kb)[3:] == [("cleo", "processmodel.changes_requested")]
    take_step(kb.db, doc.id, "submit", viewer=CLEO)
    take_step(kb.db, doc.id, "approve", viewer=FIONA)  # the owner still to approve: nobody told
    assert [k for _, k in told(kb)].count("processmodel.approved") == 0
    take_step(kb.db, doc.id, "approve", viewer=OWEN)  # the owner approved last: the PMO is told
    assert told(kb)[-1:] == [("cora", "processmodel.approved")]


def test_kbs_own_change_of_a_published_model_is_what_readers_see(kb, people):
    doc = through_review(kb, make(kb))
    with kb.db.write() as s:  # as custody does when the project closes
        locked = s.get(Document, doc.id)
        services.change_front_matter(s, locked, {"custodian": "PMO"}, actor="kb", message="x")
    moved = services.get_document(kb.db, doc.id)
    assert moved.version == doc.version + 1 and moved.published_revision == moved.version
    assert process_detail(kb.db, moved, RITA).shown_revision == moved.version
