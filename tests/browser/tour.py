"""Every kind of page kb serves, furnished with something to show: the page tour that the
phone-width, accessibility and screenshot checks walk through."""

from __future__ import annotations

import uuid

from kb.accounts import services as accounts
from kb.core.time import utcnow
from kb.documents import services as documents
from kb.events.inbound.producers import create_producer
from kb.events.log.models import Event
from kb.events.log.services import lock_log
from kb.events.webhooks.subscriptions import create_subscription

from .live import CONTENT

ADMIN = ("ada", "an admin test password")
READER = ("rita", "a reader test password")
HARBOUR = {
    "projectId": "HARBOUR",
    "name": "Harbour Warehouse Automation",
    "managerEmail": "ada@example.org",
}

#: (name, path, who sees it differently): the pages an admin visits; `reader` marks the pages
#: that a reader sees differently (fewer buttons, or a 403)
PAGES = [
    ("home", "/", True),
    ("lessons", "/lessons", True),
    ("processes", "/processes", False),
    ("guides", "/guides", False),
    ("search", "/search?q=supplier+interface", True),
    ("search-filtered", "/search?q=supplier&type=lesson&project=ATLAS", False),
    ("search-none", "/search?q=zebrafish+quokka&topic=risk", False),
    ("search-typo", "/search?q=suplier", False),
    ("lesson", "/lessons/LL-2024-0001", True),
    ("lesson-submitted", "/lessons/LL-2026-0022", False),
    ("process", "/processes/PM-0006", True),
    ("guide", "/guides/GD-0001", False),
    ("projects", "/projects", False),
    ("project", "/projects/HARBOUR", True),
    ("review", "/projects/HARBOUR/review", True),
    ("queue", "/queue", True),
    ("tasks", "/tasks", True),
    ("dashboard", "/dashboard", True),
    ("actions", "/actions?status=any", False),
    ("inbox", "/inbox", False),
    ("account", "/account", False),
    ("tokens", "/account/tokens", False),
    ("users", "/admin/users", True),
    ("user", "/admin/users/rita", False),
    ("events", "/admin/events", False),
    ("event", "/admin/events/1", False),
    ("audit", "/admin/audit", False),
    ("subscriptions", "/admin/subscriptions", False),
    ("subscription", "/admin/subscriptions/1", False),
    ("producers", "/admin/producers", False),
    ("producer", "/admin/producers/project-tool", False),
    ("form-new", "/lessons/new/form", True),
    ("form-edit", "/processes/PM-0006/edit/form", False),
    ("markdown-editor", "/lessons/LL-2024-0001/edit", False),
    ("history", "/lessons/LL-2024-0001/history", False),
    ("diff", "/lessons/LL-2024-0001/diff?a=1&b=2", False),
    ("revision", "/lessons/LL-2024-0001/revisions/1", False),
    ("not-found", "/lessons/LL-1999-0001", False),
    ("forbidden", "/admin/users", True),  # a 403 as the reader
    ("login", "/login", False),
]


def sign_in(page, url: str, who: tuple[str, str]) -> None:  # noqa: ANN001
    page.goto(url + "/login")
    page.get_by_label("Username").fill(who[0])
    page.get_by_label("Password").fill(who[1])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()


def _event(kb, short_type: str, data: dict) -> None:  # noqa: ANN001
    with kb.db.write() as s:
        lock_log(s)
        s.add(
            Event(
                source="urn:pmo:tour",
                event_id=str(uuid.uuid4()),
                type=f"org.pmo.{short_type}",
                time=utcnow(),
                data=data,
                partition_key=data["project"]["projectId"],
            )
        )
    kb.worker.run_pending()


def furnish(app) -> None:  # noqa: ANN001
    """Users, a second revision, a briefing, a closed project with its review and a task, a
    webhook and a producer: something on every page of the tour."""
    kb = app.extensions["kb"]
    accounts.create_user(
        kb.db,
        ADMIN[0],
        password=ADMIN[1],
        role="admin",
        actor="tour",
        display_name="Ada Admin",
        email="ada@example.org",
    )
    accounts.create_user(
        kb.db,
        READER[0],
        password=READER[1],
        role="reader",
        actor="tour",
        display_name="Rita Reader",
        groups=["finance"],
    )
    source = next((CONTENT / "lessons").glob("LL-2024-0001-*.md")).read_text(encoding="utf-8")
    documents.update_document(
        kb.db,
        "LL-2024-0001",
        source.replace("eight weeks late", "eight weeks (40 days) late", 1),
        base_version=1,
        actor="petra",
        message="Exact delay",
    )
    _event(
        kb,
        "project.started",
        {
            "project": HARBOUR,
            "actualStart": "2025-05-12",
            "managerEmail": HARBOUR["managerEmail"],
            "tags": ["vendor", "interface-spec"],
        },
    )
    _event(
        kb,
        "project.closed",
        {
            "project": HARBOUR,
            "closedAt": "2026-11-30T16:00:00Z",
            "closureType": "completed",
            "managerEmail": HARBOUR["managerEmail"],
            "participants": ["ops@example.org"],
            "processModels": [{"modelId": "PM-0006", "name": "Goods receipt (to-be)"}],
        },
    )
    create_subscription(
        kb.db,
        name="Team chat",
        url="https://chat.example.org/hooks/kb",
        types=["org.pmo.kb.lesson.*"],
        owner=ADMIN[0],
    )
    create_producer(kb.db, "project-tool")
    kb.projection.catch_up()
