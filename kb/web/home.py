"""The home page: search first, then what is new, where to start, and the projects."""

from __future__ import annotations

from flask import render_template

from kb.access_rules import READER, needs
from kb.context import current
from kb.documents import services
from kb.security import viewer
from kb.web import bp
from kb.web.overdue import lessons_late

RECENT = 6
GUIDES = 12


@bp.get("/")
@needs(READER)
def home():
    db = current().db
    lessons = services.list_documents(db, {"type": ["lesson"]}, per_page=RECENT, viewer=viewer())
    guides = services.list_documents(
        db, {"type": ["guide"]}, per_page=GUIDES, sort="order", viewer=viewer()
    )
    return render_template(
        "home.html",
        lessons=lessons,
        overdue_lessons=lessons_late(lessons.items),
        process_total=services.count_documents(db, viewer()).get("process", 0),
        guides=guides,
        projects=services.project_summaries(db, viewer()),
    )
