"""GET /api/dashboard: the learning-health figures as JSON (curators and admins)."""

from __future__ import annotations

from flask import url_for

from kb.access_rules import CURATOR, needs
from kb.api import bp
from kb.api.models.dashboard import DashboardAnswer, DashboardQuery, FigureAnswer
from kb.api.spec import contract, parsed_query
from kb.context import current
from kb.core.time import utcnow
from kb.readmodels.dashboard import build_dashboard
from kb.readmodels.figure import filters_of


@bp.get("/dashboard")
@contract(ok=(200, DashboardAnswer), query=DashboardQuery)
@needs(CURATOR)
def get_dashboard():
    """Every learning-health figure with its trend by month, for the filters given"""
    query = parsed_query()
    today = utcnow().date()
    filters = filters_of(today, **query.model_dump())
    kb = current()
    kb.tally.flush()  # this process's searches and page views not yet written
    board = build_dashboard(kb.db, filters, today)
    args = filters.query_args()

    def answer(figure) -> FigureAnswer:  # noqa: ANN001
        tables = {
            t.key: url_for("web.dashboard_table_csv", key=figure.key, table=t.key, **args)
            for t in figure.tables
        }
        return FigureAnswer.of(figure, url_for("web.dashboard_csv", key=figure.key, **args), tables)

    return DashboardAnswer(
        since=args["since"],
        until=args["until"],
        portfolio=filters.portfolio,
        topic=filters.topic,
        project=filters.project,
        figures=[answer(f) for f in board.figures],
    )
