"""The learning-health dashboard for curators and admins (/dashboard): every figure with its
chart (SVG drawn here, no script), its data table and a CSV download at a stable URL —
/dashboard/<figure>.csv for the trend by month, /dashboard/<figure>/<table>.csv for a table —
each taking the page's filters (since, until, portfolio, topic, project)."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, render_template, request

from kb.access_rules import CURATOR, needs
from kb.context import current
from kb.core.time import utcnow
from kb.documents.vocabulary import TOPICS
from kb.readmodels.dashboard import Dashboard, build_dashboard
from kb.readmodels.figure import Figure, Filters, filters_of
from kb.web import bp
from kb.web.charts import bar_chart, number, period_label

#: a spreadsheet runs a cell that starts with one of these as a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def request_filters() -> Filters:
    return filters_of(
        utcnow().date(),
        **{k: request.args.get(k) for k in ("since", "until", "portfolio", "topic", "project")},
    )


def current_dashboard(only: str | None = None) -> Dashboard:
    kb = current()
    kb.tally.flush()  # this process's searches and page views not yet written
    return build_dashboard(kb.db, request_filters(), utcnow().date(), only=only)


@bp.get("/dashboard")
@needs(CURATOR)
def dashboard():
    board = current_dashboard()
    charts = {f.key: bar_chart(f, f"chart-{f.key}") for f in board.figures}
    return render_template(
        "dashboard.html",
        board=board,
        charts=charts,
        topics=TOPICS,
        number=number,
        period=period_label(board.filters.first, board.filters.last),
    )


def safe_cell(value: object) -> object:
    """A cell as text a spreadsheet shows and never runs (user-typed queries land here)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def csv_response(name: str, header: list[str], rows: list[list]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def figure_or_404(board: Dashboard, key: str) -> Figure:
    found = [f for f in board.figures if f.key == key]
    if not found:
        abort(404)
    return found[0]


@bp.get("/dashboard/<key>.csv")
@needs(CURATOR)
def dashboard_csv(key: str):
    """A figure's trend: a row per month, a column per series."""
    figure = figure_or_404(current_dashboard(only=key), key)
    rows = [[m, *values] for m, values in zip(figure.months, figure.values, strict=True)]
    return csv_response(f"kb-{key}", ["Month", *(s.label for s in figure.series)], rows)


@bp.get("/dashboard/<key>/<table>.csv")
@needs(CURATOR)
def dashboard_table_csv(key: str, table: str):
    """One of a figure's tables (per project, top recurring problems, queries with no result...)."""
    figure = figure_or_404(current_dashboard(only=key), key)
    found = [t for t in figure.tables if t.key == table]
    if not found:
        abort(404)
    return csv_response(f"kb-{key}-{table}", found[0].columns, found[0].rows)
