"""Pages get their data before they render (kb.readmodels): no template runs SQL (the
autouse `templates_query_nothing` fixture checks every test with an app), a lesson page costs
the same number of queries however many lessons look like it, and a broken search index
costs the page its related documents, not the page."""

from __future__ import annotations

import shutil

from sqlalchemy import event, func, select

from kb.accounts.models import User
from kb.accounts.viewer import Viewer
from kb.actions import services as actions

CURATOR = Viewer("cora", "curator")


def test_the_check_sees_a_query_made_while_rendering(app, kb, client, templates_query_nothing):
    def users() -> dict:  # what the context processors of kb.web used to do
        with kb.db.read() as s:
            return {"user_count": s.scalar(select(func.count()).select_from(User))}

    app.context_processor(users)
    assert client.get("/").status_code == 200
    assert any("FROM users" in q for q in templates_query_nothing.found)
    templates_query_nothing.found.clear()


def test_pages_render_without_queries(
    kb, make_lesson, login_as, anon_client, templates_query_nothing
):
    lesson = make_lesson("Vendor interface specification arrived late")
    make_lesson("Vendor interface specification came late again", status="submitted")
    actions.add_action(
        kb.db,
        lesson.id,
        viewer=CURATOR,
        description="Add a milestone",
        owner="pat",
        due_on="2026-12-31",
        target_kind="template",
        target_ref="Vendor contract",
    )
    kb.projection.catch_up()
    cora = login_as("curator", "cora")
    for path in (
        "/",
        "/lessons",
        f"/lessons/{lesson.id}",
        "/lessons/LL-2025-0002",
        "/processes",
        "/guides",
        "/projects",
        "/projects/ATLAS",
        "/queue",
        "/tasks",
        "/inbox",
        "/search?q=vendor",
        "/account",
        "/no/such/page",
    ):
        answer = cora.get(path)
        assert answer.status_code in (200, 404), path
        assert templates_query_nothing.found == [], path
    assert login_as("reader").get(f"/lessons/{lesson.id}").status_code == 200
    assert "Sign in" in anon_client.get("/login").get_data(as_text=True)
    assert templates_query_nothing.found == []


def count_queries(app, kb, client, path: str) -> tuple[int, str]:
    count, _, page = statements_and_transactions(kb, client, path)
    return count, page


def statements_and_transactions(kb, client, path: str) -> tuple[int, int, str]:
    seen: list[str] = []
    begun: list[object] = []

    def on_query(*args) -> None:
        if not args[2].startswith("BEGIN"):  # SQLite's, which kb.db emits itself
            seen.append(args[2])

    listeners = (("before_cursor_execute", on_query), ("begin", begun.append))
    for name, listener in listeners:
        event.listen(kb.db.engine, name, listener)
    try:
        page = client.get(path).get_data(as_text=True)
    finally:
        for name, listener in listeners:
            event.remove(kb.db.engine, name, listener)
    return len(seen), len(begun), page


def test_a_lesson_page_costs_the_same_however_many_lessons_look_like_it(
    app, kb, make_lesson, login_as
):
    title = "Vendor interface specification arrived late"
    first = make_lesson(title, status="submitted")
    make_lesson(title + " once", status="submitted")
    kb.projection.catch_up()
    cora = login_as("curator", "cora")
    cora.get(f"/lessons/{first.id}")  # warm: the related-documents cache, the user
    few, page = count_queries(app, kb, cora, f"/lessons/{first.id}")
    assert page.count('class="merge-form"') == 1
    for n in range(4):
        make_lesson(f"{title} {n}", status="submitted")
    kb.projection.catch_up()
    cora.get(f"/lessons/{first.id}")
    many, page = count_queries(app, kb, cora, f"/lessons/{first.id}")
    assert page.count('class="merge-form"') == 5
    assert many == few, (few, many)


def test_a_readers_warm_lesson_page_costs_one_statement_per_part(app, kb, make_lesson, login_as):
    """The signed-in user with their groups and unread count; the lesson with its labels,
    revision and project; the glossary terms the reader may read; the lesson's recurrences;
    its actions; the process models citing it (issue 14: it was 13), all in one read
    transaction (it was one per part: each cost more than its statement)."""
    lesson = make_lesson()
    kb.projection.catch_up()
    reader = login_as("reader", groups=("finance",))
    reader.get(f"/lessons/{lesson.id}")  # warm: the related-documents cache
    count, transactions, page = statements_and_transactions(kb, reader, f"/lessons/{lesson.id}")
    assert lesson.title in page and 'aria-label="Inbox, 0 unread"' in page
    assert count == 6 and transactions == 1


def test_without_its_search_index_a_lesson_page_says_so(app, kb, make_lesson, login_as):
    lesson = make_lesson("Vendor interface specification arrived late", status="submitted")
    make_lesson("Vendor interface specification came late again", status="submitted")
    kb.projection.catch_up()
    cora = login_as("curator", "cora")
    assert "came late again" in cora.get(f"/lessons/{lesson.id}").get_data(as_text=True)
    shutil.rmtree(kb.config.INDEX_DIR)
    answer = cora.get(f"/lessons/{lesson.id}")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "the search index is unavailable" in page and "came late again" not in page
    assert "Vendor interface specification arrived late" in page  # the lesson itself
    data = cora.get(f"/api/lessons/{lesson.id}").json
    assert (data["related"], data["similar"]) == ([], [])
    assert data["title"] == "Vendor interface specification arrived late"
