"""HTML pages: browse, read, write and search the PMO's memory.

One blueprint (`web`) split over small view modules. Views parse the request, call a
service and render; every user string reaches the page through Jinja's autoescaping. The
only HTML marked safe is what kb sanitised itself (a revision's rendered Markdown, a
preview, a search snippet).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask

from kb.access_rules import ADMIN, needs

bp = Blueprint("web", __name__)


class AdminPages:
    """Pages only admins may use, each route declared with its rule at once:
    `admin = AdminPages("manage webhooks")`, then `@admin.get("/admin/...")` is `@bp.get(...)`
    with `@needs(ADMIN, what="manage webhooks")`."""

    def __init__(self, what: str) -> None:
        self.needs = needs(ADMIN, what=what)

    def get(self, rule: str) -> Callable:
        return lambda view: bp.get(rule)(self.needs(view))

    def post(self, rule: str) -> Callable:
        return lambda view: bp.post(rule)(self.needs(view))


def init_app(app: Flask) -> None:
    # The view modules attach their routes to `bp` when imported.
    from kb.web import (  # noqa: F401
        actions,
        admin_events,
        admin_groups,
        admin_users,
        auth,
        bpmn,
        dashboard,
        diagrams,
        documents,
        editing,
        form_editor,
        governance,
        history,
        home,
        inbox,
        lifecycle,
        origin,
        overdue,
        paths,
        present,
        process_reviews,
        producers,
        projects,
        reviews,
        search,
        subscriptions,
        tasks,
        urls,
    )

    app.register_blueprint(bp)
    present.init_app(app)
    urls.init_app(app)
    # first, like the access check's own user lookup: an error page has the header's data too
    app.before_request_funcs.setdefault(None, []).insert(0, inbox.gather_header)
