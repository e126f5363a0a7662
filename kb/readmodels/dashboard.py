"""The learning-health dashboard: every figure computed from the event log and the tables for
one set of filters (portfolio, period, topic, project), each with its trend by month. The
figures are in kb.readmodels.figures (the lessons' course) and kb.readmodels.figures_use
(process health, onboarding, searches, reading); what a figure is: kb.readmodels.figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache

from sqlalchemy import select

from kb.db import Database
from kb.projects.models import Project
from kb.readmodels import figures, figures_use
from kb.readmodels.figure import Figure, Filters, scoped_documents


@dataclass
class Dashboard:
    filters: Filters
    figures: list[Figure]
    #: the choices the filter form offers
    portfolios: list[str]
    projects: list[str]

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)


def choices(db: Database) -> tuple[list[str], list[str]]:
    with db.read() as s:
        portfolios = s.scalars(
            select(Project.portfolio).where(Project.portfolio.is_not(None)).distinct()
        )
        keys = s.scalars(select(Project.key).order_by(Project.key))
        return sorted(portfolios), list(keys)


def build_dashboard(
    db: Database, filters: Filters, today: date, *, only: str | None = None
) -> Dashboard:
    """Every figure for `filters`, as of `today` (what is overdue, health); with `only`, that
    figure alone (a CSV download), or none when there is no such figure."""
    lessons = cache(lambda: scoped_documents(db, filters, "lesson"))
    builders: dict[str, Callable[[], Figure]] = {
        "captured": lambda: figures.captured(db, filters, lessons()),
        "publication": lambda: figures.publication(db, filters, lessons()),
        "reviews": lambda: figures.reviews(db, filters, today),
        "actions": lambda: figures.actions(db, filters, lessons(), today),
        "recurrence": lambda: figures.recurrence(db, filters, lessons()),
        "briefings": lambda: figures.briefings(db, filters),
        "health": lambda: figures_use.process_health(db, filters, today),
        "onboarding": lambda: figures_use.onboarding(db, filters),
        "searches": lambda: figures_use.searches(db, filters),
        "reading": lambda: figures_use.reading(db, filters, lessons()),
    }
    if only is not None:
        found = [builders[only]()] if only in builders else []
        return Dashboard(filters, found, [], [])
    portfolios, projects = choices(db)
    return Dashboard(filters, [build() for build in builders.values()], portfolios, projects)
