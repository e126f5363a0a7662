"""The learning-health dashboard as JSON: every figure, with its trend by month, its totals
and tables, for the same filters as the page (kb.readmodels.dashboard)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Literal

from pydantic import Field

from kb.api.models.common import Answer, Query
from kb.documents.vocabulary import TOPICS
from kb.readmodels.figure import Figure

MONTH = r"^\d{4}-\d{2}$"


class DashboardQuery(Query):
    since: str | None = Field(
        None, pattern=MONTH, description="first month (YYYY-MM); default: 11 months before until"
    )
    until: str | None = Field(None, pattern=MONTH, description="last month; default: this month")
    portfolio: str | None = Field(None, max_length=120)
    topic: Literal[TOPICS] | None = None  # type: ignore[valid-type]
    project: str | None = Field(None, max_length=32, description="a project key")


class SeriesInfo(Answer):
    key: str
    label: str


class MonthValues(Answer):
    month: str = Field(description="YYYY-MM")
    values: list[float | None] = Field(description="one per series, in the order of `series`")


class Total(Answer):
    key: str
    label: str
    value: float | None = Field(description="null: nothing to measure (e.g. a share of none)")


class FigureTable(Answer):
    key: str
    title: str
    columns: list[str]
    rows: list[list[str | int | float | None]]
    csv: str = Field(description="the table as CSV, with the same filters")


class FigureAnswer(Answer):
    key: str
    title: str
    description: str
    applies: list[str] = Field(description="the filters this figure follows")
    series: list[SeriesInfo]
    months: list[MonthValues]
    totals: list[Total]
    tables: list[FigureTable]
    csv: str = Field(description="the trend by month as CSV, with the same filters")

    @classmethod
    def of(cls, figure: Figure, csv: str, table_csv: dict[str, str]) -> FigureAnswer:
        """`figure` with its values by month and the CSV URLs of its trend and tables."""
        data = asdict(figure)
        values = data.pop("values")
        data["months"] = [
            {"month": m, "values": v} for m, v in zip(figure.months, values, strict=True)
        ]
        data["tables"] = [{**t, "csv": table_csv[t["key"]]} for t in data["tables"]]
        return cls.model_validate({**data, "applies": list(figure.applies), "csv": csv})


class DashboardAnswer(Answer):
    since: str
    until: str
    portfolio: str | None
    topic: str | None
    project: str | None
    figures: list[FigureAnswer]
