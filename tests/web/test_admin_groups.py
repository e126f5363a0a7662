"""/admin/groups: groups with member and document counts, create, rename (members by the
group's id, documents by a new revision, in one transaction), members, delete; admins only."""

from __future__ import annotations

import pytest

from kb.accounts import groups
from kb.accounts import services as accounts
from kb.documents import services as documents
from kb.documents.groups import renamed_source


def text(response) -> str:
    return response.get_data(as_text=True)


def restricted(make_lesson, title: str, groups_line: str):
    return make_lesson(title, visibility="restricted", groups=groups_line)


@pytest.fixture
def finance(kb, make_user, make_lesson):
    """The group finance: dana is a member, two lessons are restricted to it."""
    group = groups.create_group(kb.db, "finance", actor="test", description="Money matters")
    make_user("dana", "reader", groups=["finance"])
    make_user("erin", "reader")
    first = restricted(make_lesson, "Budget overrun in phase two", "[finance, pmo]")
    second = make_lesson(
        "Invoices paid twice",
        visibility="restricted",
        body="## Summary\n\nTwice.\n",
        groups="Finance  # who reads it",
    )
    return group, first, second


def test_the_list_counts_members_and_documents(client, finance, make_lesson, assert_inert):
    restricted(make_lesson, "Legal hold on archives", "[legal]")
    page = client.get("/admin/groups")
    assert page.status_code == 200
    html = text(page)
    assert_inert(html)
    group = finance[0]
    assert f'href="/admin/groups/{group.id}">finance</a>' in html and "Money matters" in html
    row = html.split(f'href="/admin/groups/{group.id}"')[1].split("</tr>")[0]
    assert '<td class="num">1</td>' in row and '<td class="num">2</td>' in row
    # names documents use without a group: shown, so that an admin can set them up
    assert "Named by documents, but not set up" in html and "<strong>legal</strong>" in html
    assert "<strong>pmo</strong>" in html


def test_create_refuses_duplicates_and_bad_names_in_plain_words(client, kb, finance):
    made = client.post("/admin/groups", data={"name": "  Project  Office ", "description": "PMO"})
    assert made.status_code == 303
    [office] = [g for g in accounts.list_groups(kb.db) if g.name == "project office"]
    assert made.headers["Location"] == f"/admin/groups/{office.id}"
    duplicate = client.post("/admin/groups", data={"name": "Finance"})
    assert duplicate.status_code == 409 and "There is already a group finance." in text(duplicate)
    bad = client.post("/admin/groups", data={"name": "fin<ance>"})
    assert bad.status_code == 400
    assert "cannot be a group name" in text(bad) and "fin&lt;ance&gt;" in text(bad)
    assert client.post("/admin/groups", data={"name": "   "}).status_code == 400
    assert client.post("/admin/groups", data={"name": "x" * 65}).status_code == 400
    assert sorted(g.name for g in accounts.list_groups(kb.db)) == ["finance", "project office"]


def test_the_group_page_lists_members_and_documents(client, finance, assert_inert):
    group, first, second = finance
    html = text(client.get(f"/admin/groups/{group.id}"))
    assert_inert(html)
    assert 'href="/admin/users/dana"' in html
    assert f'href="/lessons/{first.id}">Budget overrun in phase two</a>' in html
    assert f'href="/lessons/{second.id}">Invoices paid twice</a>' in html
    assert '<option value="erin">' in html and '<option value="dana">' not in html
    assert client.get("/admin/groups/9999").status_code == 404


def test_rename_changes_members_and_documents_in_one_step(client, kb, finance, login_as):
    group, first, second = finance
    dana = login_as("reader", "dana2", groups=["finance"])
    renamed = client.post(
        f"/admin/groups/{group.id}", data={"action": "rename", "name": "Finance Team"}
    )
    assert renamed.status_code == 303
    assert "2 documents rewritten with the new name" in text(
        client.get(renamed.headers["Location"])
    )
    assert [g.name for g in accounts.get_user(kb.db, "dana").groups] == ["finance team"]
    for doc, line in (
        (first, "groups: [finance team, pmo]"),
        (second, "groups: [finance team]  # who reads it"),
    ):
        now = documents.get_document(kb.db, doc.id)
        assert now.version == doc.version + 1 and now.groups == sorted(
            ["finance team"] + (["pmo"] if doc is first else [])
        )
        revision = documents.get_revision(kb.db, doc.id)
        assert line in revision.markdown and revision.author == "ada"
        assert revision.message == "Group finance renamed to finance team"
        assert dana.get(f"/lessons/{doc.id}").status_code == 200  # members still read it
    [entry] = [e for e in accounts.list_audit(kb.db) if e.action == "group.renamed"]
    assert entry.details["name"] == ["finance", "finance team"]
    assert sorted(entry.details["documents"]) == sorted([first.id, second.id])


def test_a_refused_rename_changes_nothing(client, kb, finance):
    group, first, _ = finance
    groups.create_group(kb.db, "legal", actor="test")
    taken = client.post(f"/admin/groups/{group.id}", data={"action": "rename", "name": "legal"})
    assert taken.status_code == 409 and "There is already a group legal." in text(taken)
    bad = client.post(f"/admin/groups/{group.id}", data={"action": "rename", "name": "a/b"})
    assert bad.status_code == 400 and "cannot be a group name" in text(bad)
    assert groups.get_group(kb.db, group.id).name == "finance"
    assert documents.get_document(kb.db, first.id).version == first.version


def test_members_in_and_out(client, kb, finance, login_as):
    group, first, _ = finance
    erin = login_as("reader", "erin2")
    assert erin.get(f"/lessons/{first.id}").status_code == 404
    added = client.post(f"/admin/groups/{group.id}", data={"action": "add", "username": "erin2"})
    assert added.status_code == 303
    assert erin.get(f"/lessons/{first.id}").status_code == 200
    client.post(f"/admin/groups/{group.id}", data={"action": "remove", "username": "erin2"})
    assert erin.get(f"/lessons/{first.id}").status_code == 404
    nobody = client.post(f"/admin/groups/{group.id}", data={"action": "add", "username": "zed"})
    assert nobody.status_code == 400 and "There is no user" in text(nobody)
    odd = client.post(f"/admin/groups/{group.id}", data={"action": "explode"})
    assert odd.status_code == 400
    actions = [e.action for e in accounts.list_audit(kb.db) if e.target == "finance"]
    assert "group.member_added" in actions and "group.member_removed" in actions


def test_delete_asks_for_a_confirmation_unless_empty(client, kb, finance):
    group, first, _ = finance
    refused = client.post(f"/admin/groups/{group.id}", data={"action": "delete"})
    assert refused.status_code == 409
    assert "finance has 1 member and 2 documents restricted to it" in text(refused)
    assert groups.get_group(kb.db, group.id) is not None
    done = client.post(f"/admin/groups/{group.id}", data={"action": "delete", "confirm": "1"})
    assert done.status_code == 303 and done.headers["Location"] == "/admin/groups"
    assert groups.get_group(kb.db, group.id) is None
    assert accounts.get_user(kb.db, "dana").groups == []
    assert documents.get_document(kb.db, first.id).visibility == "restricted"
    empty = groups.create_group(kb.db, "empty", actor="test")
    assert client.post(f"/admin/groups/{empty.id}", data={"action": "delete"}).status_code == 303


def test_only_admins_manage_groups(login_as, finance):
    group = finance[0]
    for role in ("reader", "curator"):
        other = login_as(role)
        assert other.get("/admin/groups").status_code == 403
        assert (
            other.post(
                f"/admin/groups/{group.id}", data={"action": "delete", "confirm": "1"}
            ).status_code
            == 403
        )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("groups: [finance, pmo]\n", "groups: [finance team, pmo]\n"),
        ("groups: Finance   # readers\n", "groups: [finance team]   # readers\n"),
        ("groups:\n  - pmo\n  - finance\n", "groups: [pmo, finance team]\n"),
        ("groups: [finance, Finance Team]\n", "groups: [finance team]\n"),
    ],
)
def test_renamed_source_keeps_the_rest_as_written(before, after):
    source = f"---\ntitle: T  # kept\n{before}status: draft\n---\n\nBody\n"
    result = renamed_source(source, "finance", "finance team")
    assert after in result and "Body\n" in result and "status: draft" in result


def test_group_forms_need_the_csrf_token(app, client, finance):
    app.config["WTF_CSRF_ENABLED"] = True
    group = finance[0]
    refused = client.post(f"/admin/groups/{group.id}", data={"action": "delete", "confirm": "1"})
    assert refused.status_code == 400
    assert client.post("/admin/groups", data={"name": "legal"}).status_code == 400
    assert client.get("/admin/groups").status_code == 200
