"""Every dashboard figure, checked exactly against a known history built through kb's services
and project events with an injected clock (January to March 2026, looked at on 10 April)."""

from __future__ import annotations

import pytest

from kb.accounts.viewer import Viewer
from kb.actions import services as actions
from kb.briefings import services as briefings
from kb.documents import lifecycle
from kb.documents import services as documents
from kb.documents.transfer import import_tree
from kb.readmodels.dashboard import build_dashboard
from kb.readmodels.figure import filters_of
from kb.reviews import services as reviews

CORA = Viewer("cora", "curator")
PERIOD = {"since": "2026-01", "until": "2026-03"}
BODY = "## Summary\n\nThe vendor delivered the interface specification six weeks late.\n"


def lesson(kb, at, lesson_md, when: str, title: str, **fields) -> str:
    at(when)
    source = lesson_md(title, status="draft", **fields)
    return documents.create_document(kb.db, source, actor="cory", type_hint="lesson").id


def move(kb, at, when: str, doc_id: str, *steps: str) -> None:
    at(when)
    for to in steps:
        lifecycle.transition_lesson(kb.db, doc_id, to, viewer=CORA)


def act(kb, at, when: str, lesson_id: str, description: str, due_on: str) -> int:
    at(when)
    action = actions.add_action(
        kb.db,
        lesson_id,
        viewer=CORA,
        description=description,
        owner="pat",
        due_on=due_on,
        target_kind="template",
        target_ref="Vendor contract",
    )
    return action.id


def process(kb, title: str, last_reviewed: str) -> str:
    source = (
        f"---\ntitle: {title}\nstatus: published\nreview_period_months: 12\n"
        f"last_reviewed: {last_reviewed}\n---\n\n## Purpose\n\nA process.\n"
    )
    return documents.create_document(kb.db, source, actor="x", type_hint="process").id


@pytest.fixture
def history(kb, at, post, lesson_md, client):
    """The story the figures must tell; returns the ids it made."""
    at("2026-01-05 09:00")
    for key, portfolio in (("ATLAS", "Infra"), ("HARBOUR", "Ops"), ("CEDAR", "Infra")):
        post("project.created", {"project": {"projectId": key, "portfolio": portfolio}}, key)
    l1 = lesson(
        kb,
        at,
        lesson_md,
        "2026-01-12 09:00",
        "Vendor interface specification arrived late",
        phase="build",
        topics="[schedule]",
        tags="[vendor]",
        body=BODY,
    )
    move(kb, at, "2026-01-12 10:00", l1, "submitted")
    move(kb, at, "2026-01-15 10:00", l1, "in_review", "published")  # 3 days
    l2 = lesson(
        kb,
        at,
        lesson_md,
        "2026-01-20 12:00",
        "Budget contingency was used up in planning",
        phase="planning",
        topics="[cost]",
        tags="[budget]",
    )
    move(kb, at, "2026-01-20 12:00", l2, "submitted")
    move(kb, at, "2026-02-01 12:00", l2, "in_review", "published")  # 12 days
    lesson(
        kb,
        at,
        lesson_md,
        "2026-02-03 09:00",
        "Harbour crane schedule slipped",
        project="HARBOUR",
        phase="build",
        topics="[schedule]",
        tags="[crane]",
    )
    a1 = act(kb, at, "2026-01-16 09:00", l1, "Add a milestone", "2026-02-10")
    a2 = act(kb, at, "2026-01-16 09:00", l1, "Train buyers", "2026-02-20")
    at("2026-02-05 09:00")
    actions.close_action(kb.db, a1, viewer=CORA)  # on time
    act(kb, at, "2026-02-02 09:00", l2, "Reserve a contingency", "2026-03-01")
    at("2026-03-02 09:00")
    actions.close_action(kb.db, a2, viewer=CORA)  # late; L1 is now actioned
    at("2026-02-28 17:00")
    post(
        "project.closed",
        {
            "project": {"projectId": "ATLAS"},
            "closedAt": "2026-02-28T16:00:00Z",
            "closureType": "completed",
            "managerEmail": "pm@example.org",
        },
        "ATLAS",
    )
    at("2026-03-03 09:00")
    reviews.complete_review(kb.db, "ATLAS", actor="cora")
    at("2026-03-05 17:00")
    post(
        "project.closed",
        {
            "project": {"projectId": "HARBOUR"},
            "closedAt": "2026-03-05T16:00:00Z",
            "closureType": "completed",
        },
        "HARBOUR",
    )  # due 4 Apr: overdue on 10 Apr
    l4 = lesson(
        kb,
        at,
        lesson_md,
        "2026-03-10 09:00",
        "Vendor interface specification arrived late",
        project="HARBOUR",
        phase="build",
        topics="[schedule]",
        tags="[vendor]",
        body=BODY,
    )
    move(kb, at, "2026-03-10 09:30", l4, "submitted")
    kb.projection.catch_up()
    kb.worker.run_pending()  # the recurrence of L1's problem
    at("2026-03-15 09:00")
    post(
        "project.started",
        {
            "project": {"projectId": "CEDAR", "description": "budget contingency"},
            "actualStart": "2026-03-15",
            "tags": ["budget"],
        },
        "CEDAR",
    )
    briefing = briefings.list_briefings(kb.db, "CEDAR")[0]
    for item in briefing.items:
        briefings.respond(kb.db, briefing.id, item.lesson_id, "applies", CORA)
    for when, q in (
        ("2026-02-01 10:00", "vendor"),
        ("2026-02-01 11:00", "gobbledygook"),
        ("2026-03-01 10:00", "Gobbledygook"),
        ("2026-03-02 10:00", "quokka"),
    ):
        at(when)
        assert client.get("/search", query_string={"q": q}).status_code == 200
    for when, doc in (
        ("2026-02-10 10:00", l1),
        ("2026-02-10 11:00", l1),
        ("2026-02-11 10:00", l1),
        ("2026-03-11 10:00", l2),
    ):
        at(when)
        assert client.get(f"/lessons/{doc}").status_code == 200
    kb.tally.flush()  # counted in memory, written in a batch (the dashboard's pages flush too)
    red = process(kb, "Stage gate review", "2025-01-01")  # due 1 Jan 2026
    amber = process(kb, "Risk register upkeep", "2025-04-20")  # due 20 Apr: within 30 days
    process(kb, "Benefits tracking", "2026-03-01")
    at("2026-04-10 09:00")
    return {
        "l1": l1,
        "l2": l2,
        "l4": l4,
        "red": red,
        "amber": amber,
        "briefed": [i.lesson_id for i in briefing.items],
    }


def totals(board, key: str) -> dict:
    return {m.key: m.value for m in board.figure(key).totals}


def series(board, key: str) -> list:
    return board.figure(key).values


def test_every_figure_counts_the_history_exactly(kb, at, history):
    """One history (it takes seconds to write) for both checks: unfiltered, then filtered."""
    board = build_dashboard(kb.db, filters_of(at.today, **PERIOD), at.today)
    every_figure_unfiltered(board, history)
    the_filters_narrow_the_figures(kb, at)


def every_figure_unfiltered(board, history) -> None:
    assert board.figure("captured").months == ["2026-01", "2026-02", "2026-03"]
    assert series(board, "captured") == [[2], [1], [1]]
    assert totals(board, "captured") == {"captured": 4}
    tables = {t.key: t.rows for t in board.figure("captured").tables}
    assert tables["per_project"] == [["ATLAS", 2], ["HARBOUR", 2]]
    assert tables["per_phase"] == [["build", 3], ["planning", 1]]
    assert totals(board, "publication") == {
        "published": 2,
        "median_days": 7.5,
        "longest_days": 12.0,
    }
    assert series(board, "publication") == [[3.0], [12.0], [None]]
    assert totals(board, "reviews") == {
        "closed": 2,
        "reviewed": 1,
        "reviewed_share": 50.0,
        "overdue": 1,
    }
    assert series(board, "reviews") == [[0, 0], [1, 1], [1, 0]]
    assert board.figure("reviews").tables[0].rows == [["HARBOUR", "2026-04-04", 6]]
    assert totals(board, "actions") == {
        "open": 1,
        "overdue": 1,
        "closed_on_time": 1,
        "closed_late": 1,
        "on_time_share": 50.0,
    }
    assert series(board, "actions") == [[2, 0, 0], [1, 1, 0], [0, 0, 1]]
    l1 = history["l1"]
    assert totals(board, "recurrence") == {"actioned": 1, "recurred": 1, "rate": 100.0}
    assert series(board, "recurrence") == [[0], [0], [1]]
    assert board.figure("recurrence").tables[0].rows == [
        [l1, "Vendor interface specification arrived late", "ATLAS", 1]
    ]
    assert history["briefed"] == [history["l2"]]  # CEDAR's budget words find the budget lesson
    assert totals(board, "briefings") == {
        "briefings": 1,
        "lessons": 1,
        "answered": 1,
        "applied": 1,
        "applied_share": 100.0,
    }
    assert series(board, "briefings") == [[0, 0, 0], [0, 0, 0], [1, 1, 1]]
    assert totals(board, "health") == {"green": 1, "amber": 1, "red": 1}
    assert series(board, "health") == [[1], [0], [0]]
    assert [r[:3] for r in board.figure("health").tables[0].rows] == [
        [history["red"], "Stage gate review", "red"],
        [history["amber"], "Risk register upkeep", "amber"],
    ]
    assert totals(board, "onboarding") == {"started": 0, "completed": 0}  # nobody took a path
    assert totals(board, "searches") == {"searches": 4, "zero": 3, "zero_share": 75.0}
    assert series(board, "searches") == [[0, 0], [2, 1], [2, 2]]
    assert [r[:2] for r in board.figure("searches").tables[0].rows] == [
        ["gobbledygook", 2],
        ["quokka", 1],
    ]
    assert totals(board, "reading") == {"views": 4, "lessons_read": 2}
    assert series(board, "reading") == [[0], [3], [1]]
    assert [r[0::3] for r in board.figure("reading").tables[0].rows] == [
        [l1, 3],
        [history["l2"], 1],
    ]


def the_filters_narrow_the_figures(kb, at) -> None:
    def board(**filters):
        return build_dashboard(kb.db, filters_of(at.today, **PERIOD, **filters), at.today)

    harbour = board(project="harbour")
    assert series(harbour, "captured") == [[0], [1], [1]]
    assert totals(harbour, "reviews") == {
        "closed": 1,
        "reviewed": 0,
        "reviewed_share": 0.0,
        "overdue": 1,
    }
    assert totals(harbour, "actions")["open"] == 0
    assert totals(harbour, "recurrence") == {"actioned": 0, "recurred": 0, "rate": None}
    assert totals(harbour, "briefings")["briefings"] == 0
    assert totals(harbour, "searches")["searches"] == 4  # searches know no project
    assert totals(harbour, "reading")["views"] == 0
    cost = board(topic="cost")
    assert series(cost, "captured") == [[1], [0], [0]]
    assert totals(cost, "publication") == {
        "published": 1,
        "median_days": 12.0,
        "longest_days": 12.0,
    }
    assert totals(cost, "actions") == {
        "open": 1,
        "overdue": 1,
        "closed_on_time": 0,
        "closed_late": 0,
        "on_time_share": None,
    }
    assert totals(cost, "reading") == {"views": 1, "lessons_read": 1}
    infra = board(portfolio="Infra")
    assert series(infra, "captured") == [[2], [0], [0]]
    assert totals(infra, "reviews")["reviewed_share"] == 100.0
    assert totals(infra, "briefings")["briefings"] == 1
    # the process models belong to no project, so to no portfolio
    assert totals(infra, "health") == {"green": 0, "amber": 0, "red": 0}


def test_imported_lessons_count_in_the_month_they_were_written(kb, at, lesson_md, tmp_path):
    """Not in the month of the import: the file's `updated:` day, else when it occurred; a
    file with neither counts when kb received it (docs/format.md#dates)."""
    folder = tmp_path / "lessons"
    folder.mkdir()
    files = {
        "a.md": lesson_md("Updated in February", occurred_on="2025-11-03", updated="2026-02-14"),
        "b.md": lesson_md("Occurred in January", occurred_on="2026-01-20"),
        "c.md": lesson_md("No day of its own", occurred_on=None),
        "d.md": lesson_md("Written long before", occurred_on="2025-06-01"),
    }
    for name, source in files.items():
        (folder / name).write_text(source)
    at("2026-03-20 09:00")
    assert import_tree(kb.db, tmp_path, actor="import").rejected == []
    lesson(kb, at, lesson_md, "2026-03-21 09:00", "Written in kb in March")
    board = build_dashboard(kb.db, filters_of(at.today, **PERIOD), at.today, only="captured")
    assert series(board, "captured") == [[1], [1], [2]]
    assert totals(board, "captured") == {"captured": 4}
    earlier = filters_of(at.today, since="2025-06", until="2025-06")
    assert totals(build_dashboard(kb.db, earlier, at.today, only="captured"), "captured") == {
        "captured": 1
    }
