"""The learning-health dashboard: every figure computed from the event log and the tables for
one set of filters (portfolio, period, topic, project), each with its trend by month. The
figures are in kb.readmodels.figures (the lessons' course) and kb.readmodels.figures_use
(process health, onboarding, searches, reading); what a figure is: kb.readmodels.figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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


def build_dashboard(db: Database, filters: Filters, today: date) -> Dashboard:
    """Every figure for `filters`, as of `today` (what is overdue, health)."""
    lessons = scoped_documents(db, filters, "lesson")
    found = [
        figures.captured(db, filters, lessons),
        figures.publication(db, filters, lessons),
        figures.reviews(db, filters, today),
        figures.actions(db, filters, lessons, today),
        figures.recurrence(db, filters, lessons),
        figures.briefings(db, filters),
        figures_use.process_health(db, filters, today),
        figures_use.onboarding(db, filters),
        figures_use.searches(db, filters),
        figures_use.reading(db, filters, lessons),
    ]
    portfolios, projects = choices(db)
    return Dashboard(filters, found, portfolios, projects)
