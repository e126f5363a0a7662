"""The dashboard's page, CSV downloads and JSON: the same figures, accessible charts, safe CSV,
clear refusals of bad filters; searching and reading record what, never who."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, inspect, select

from kb.usage.models import PageView, SearchRecord

PERIOD = {"since": "2026-01", "until": "2026-03"}


def test_page_csv_and_json_show_the_same_figures(kb, at, login_as, make_lesson):
    lesson = make_lesson("Vendor interface specification arrived late")
    kb.projection.catch_up()
    cora = login_as("curator", "cora")
    at("2026-02-01 10:00")

    def sent(path: str, **query) -> None:
        assert cora.get(path, query_string=query).status_code == 200

    for q in ("vendor", "=HYPERLINK(evil)", "quokka"):
        sent("/search", q=q)
    sent("/api/search", q="quokka")
    sent("/search", q="quokka", page="2")  # paging is not another search
    sent(f"/lessons/{lesson.id}")
    with kb.db.read() as s:  # counted in memory: nothing written yet, nobody waited on it
        assert s.scalar(select(func.count()).select_from(PageView)) == 0
    assert kb.tally.pending() == 5  # 4 searches, 1 document-day
    at("2026-04-10 09:00")

    page = cora.get("/dashboard", query_string={**PERIOD, "topic": "schedule"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and "<script" not in html
    assert 'role="img" aria-labelledby="chart-searches-title chart-searches-desc"' in html
    assert "With no result by month: 2026-01 0, 2026-02 3, 2026-03 0." in html
    assert "<td>=hyperlink(evil)</td>" in html  # the query as typed, case ignored
    assert '<a href="/dashboard" aria-current="page">Dashboard</a>' in html  # navigation
    assert '<option value="schedule" selected>Schedule</option>' in html  # the topic filter
    assert "/dashboard/searches.csv?since=2026-01&amp;until=2026-03&amp;topic=schedule" in html
    assert "for January–March 2026, topic Schedule." in html and "lesson.created" not in html
    assert '<h2 id="figure-index-h">On this page</h2>' in html and 'href="#reading"' in html
    assert '<p class="empty chart-empty" id="chart-briefings">No data in this period.</p>' in html

    months = cora.get("/dashboard/searches.csv", query_string=PERIOD)
    assert months.mimetype == "text/csv"
    assert list(csv.reader(io.StringIO(months.get_data(as_text=True)))) == [
        ["Month", "Searches", "With no result"],
        ["2026-01", "0", "0"],
        ["2026-02", "4", "3"],
        ["2026-03", "0", "0"],
    ]
    queries = cora.get("/dashboard/searches/zero_queries.csv", query_string=PERIOD)
    rows = list(csv.reader(io.StringIO(queries.get_data(as_text=True))))
    assert rows[1:] == [["quokka", "2", "2026-02-01"], ["'=hyperlink(evil)", "1", "2026-02-01"]]
    assert cora.get("/dashboard/nothing.csv").status_code == 404
    assert cora.get("/dashboard/searches/nothing.csv").status_code == 404

    answer = cora.get("/api/dashboard", query_string=PERIOD).get_json()
    searches = next(f for f in answer["figures"] if f["key"] == "searches")
    assert [t["value"] for t in searches["totals"]] == [4, 3, 75.0]
    assert searches["months"][1] == {"month": "2026-02", "values": [4, 3]}
    assert searches["applies"] == ["period"]
    assert searches["csv"] == "/dashboard/searches.csv?since=2026-01&until=2026-03"
    reading = next(f for f in answer["figures"] if f["key"] == "reading")
    assert reading["tables"][0]["rows"] == [[lesson.id, lesson.title, "ATLAS", 1]]
    keys = "captured publication reviews actions recurrence briefings health onboarding"
    assert [f["key"] for f in answer["figures"]] == [*keys.split(), "searches", "reading"]

    # nobody is recorded: the tables have no column that could say who
    for model in (SearchRecord, PageView):
        columns = {c["name"] for c in inspect(kb.db.engine).get_columns(model.__tablename__)}
        assert columns <= {"id", "query", "results", "searched_at", "document_id", "day", "views"}
    with kb.db.read() as s:
        assert s.scalar(select(PageView.views)) == 1


def test_bad_filters_are_refused_in_words(login_as):
    cora = login_as("curator", "cora")
    for args, words in (
        ({"since": "2026-13"}, "since must be a month written YYYY-MM"),
        ({"since": "2026-05", "until": "2026-01"}, "since must not be after until"),
        ({"since": "2020-01", "until": "2026-01"}, "The period is at most 36 months"),
        ({"topic": "gardening"}, "There is no topic"),
    ):
        page = cora.get("/dashboard", query_string=args)
        assert page.status_code == 400 and words in page.get_data(as_text=True), args
    api = cora.get("/api/dashboard", query_string={"since": "2026-05", "until": "2026-01"})
    assert (
        api.status_code == 400 and "since must not be after until" in api.json["error"]["message"]
    )
    assert login_as("reader").get("/dashboard").status_code == 403
    assert 'href="/dashboard"' not in login_as("contributor").get("/").get_data(as_text=True)


def test_onboarding_counts_the_paths_started_and_completed_each_month(kb, at, make_user):
    from kb.accounts.viewer import Viewer
    from kb.paths import progress, services
    from kb.paths.source import parse_path
    from kb.readmodels.dashboard import build_dashboard
    from kb.readmodels.figure import filters_of

    source = "---\ntitle: First weeks\n---\n\n1. [Guide](https://example.org/guide) - 5 min\n"
    at("2026-01-05 10:00")
    cora = Viewer.of(make_user("cora", "curator"))
    path = services.save_path(kb.db, cora, parse_path(source))
    nina, omar = (Viewer.of(make_user(name)) for name in ("nina", "omar"))
    progress.take(kb.db, nina, path.id)  # January
    at("2026-02-01 10:00")
    [step] = path.steps
    progress.acknowledge(kb.db, nina, path.id, step.id)  # her only step: completed in February
    at("2026-02-07 10:00")
    progress.take(kb.db, omar, path.id)
    at("2026-04-10 09:00")
    board = build_dashboard(kb.db, filters_of(at.today, **PERIOD), at.today, only="onboarding")
    figure = board.figures[0]
    assert figure.values == [[1, 0], [1, 1], [0, 0]]


def test_a_period_is_written_in_words():
    from datetime import date

    from kb.web.charts import period_label

    assert period_label(date(2026, 1, 1), date(2026, 12, 1)) == "January–December 2026"
    assert period_label(date(2026, 3, 1), date(2026, 3, 1)) == "March 2026"
    assert period_label(date(2025, 11, 1), date(2026, 3, 1)) == "November 2025 – March 2026"
