"""Text taken from a restricted lesson never reaches, through another record, someone who may
not read that lesson: restricted source × every derived channel × outsider / member / creator /
curator (and an anonymous visitor or ownerless subscription).

One world holds every way kb copies a lesson's name into another record: a restricted lesson
recurs an internal one (which is reopened), an internal lesson is merged into it, a process
change flags it, a briefing recommends it and a review completes with it. Each role then reads
every channel that shows the derived record — pages, API answers, inbox, e-mail (a real SMTP
server) and webhook bodies (a real HTTP receiver, a subscription owned by that role). Whoever
may read the restricted lesson reads its name as before; nobody else reads its id, project or
title anywhere, and a change note about it says "a lesson you may not read".
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import pytest
from sqlalchemy import select

from kb.accounts.viewer import ANONYMOUS, Viewer
from kb.documents import references
from kb.events.log.models import Event
from kb.events.log.services import KB_SOURCE
from tests.security.derived_world import (
    BRIEF_ID,
    DUP_ID,
    HIDDEN,
    MARKERS,
    OLD_ID,
    READERS,
    ROLES,
    SECRET_ID,
    Receiver,
    build_world,
)


@pytest.fixture
def receiver():
    box = Receiver()
    yield box
    box.server.shutdown()
    box.server.server_close()


@pytest.fixture
def config(config, mailbox):
    """E-mail on, through the local SMTP server."""
    return dataclasses.replace(
        config,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=mailbox.port,
        SMTP_FROM="kb@pmo.example.org",
        SMTP_TIMEOUT=5.0,
    )


@pytest.fixture
def world(app, kb, receiver, make_project):
    """Every derived record about the restricted lessons, and a client per role."""
    return build_world(app, kb, receiver, make_project)


# --- the channels ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Channel:
    """One way a role reads a derived record: `read(world, role)` gives its text (None: the
    role gets nothing there). `names`: readers of the restricted lesson see its id there;
    `says_hidden`: everyone else reads "a lesson you may not read"; `gets`: roles that must
    get something."""

    scenario: str
    name: str
    read: Callable[[dict, str], str | None]
    names: bool = True
    says_hidden: bool = False
    gets: frozenset[str] = frozenset(ROLES)


def page(url: Callable[[dict], str]) -> Callable[[dict, str], str]:
    def read(world: dict, role: str) -> str:
        answer = world["clients"][role].get(url(world))
        assert answer.status_code == 200, (url(world), role, answer.status_code)
        return answer.get_data(as_text=True)

    return read


def inbox(link: str) -> Callable[[dict, str], str | None]:
    def read(world: dict, role: str) -> str | None:
        if role == "anonymous":  # no account, no inbox
            return None
        items = world["clients"][role].get("/api/inbox?per_page=100").json["items"]
        mine = [f"{n['title']}\n{n['body']}" for n in items if n["link"] == link]
        return "\n".join(mine) or None

    return read


def mail(link: str) -> Callable[[dict, str], str | None]:
    def read(world: dict, role: str) -> str | None:
        if role == "anonymous":
            return None
        box = world["mailbox"]
        texts = [
            f"{m['Subject']}\n{m.get_content()}".replace("\r\n", "\n")
            for m in box.to(world["users"][role].email)
        ]
        mine = [t for t in texts if f"\n{link}\n" in t]
        return "\n".join(mine) or None

    return read


def webhook(match: Callable[[dict], bool]) -> Callable[[dict, str], str | None]:
    def read(world: dict, role: str) -> str | None:
        bodies = [b for b in world["receiver"].bodies.get(role, []) if match(b)]
        return "\n".join(json.dumps(b, ensure_ascii=False) for b in bodies) or None

    return read


def every_event(world: dict, role: str) -> str:
    """Each of kb's own events as the role may read it (what webhooks deliver and notifications
    are written from), except those about the restricted lessons themselves."""
    kb, user = world["kb"], world["users"].get(role)
    with kb.db.read() as s:
        viewer = Viewer.of(s.get(type(user), user.id)) if user else ANONYMOUS
        events = s.scalars(select(Event).where(Event.source == KB_SOURCE)).all()
        # a restricted lesson no longer registers the project it names: no event about a
        # project is left out
        views = [
            references.event_view(s, e.subject, e.data, viewer)
            for e in events
            if e.subject not in (f"lessons/{SECRET_ID}", f"lessons/{BRIEF_ID}")
        ]
    assert len(views) >= 15  # the world's events, not an empty log
    return "\n".join(json.dumps(v, ensure_ascii=False) for v in views if v is not None)


def about(subject: str) -> Callable[[dict], bool]:
    return lambda body: body.get("subject") == subject


def of_type(kind: str) -> Callable[[dict], bool]:
    return lambda body: body["type"] == f"org.pmo.kb.{kind}"


V = lambda w: w["old_version"]  # noqa: E731
CHANNELS = [
    # recurrence: the reopened older lesson
    Channel("recurrence", "lesson page", page(lambda w: f"/lessons/{OLD_ID}")),
    Channel(
        "recurrence", "history page", page(lambda w: f"/lessons/{OLD_ID}/history"), says_hidden=True
    ),
    Channel(
        "recurrence",
        "revision page",
        page(lambda w: f"/lessons/{OLD_ID}/revisions/{V(w)}"),
        says_hidden=True,
    ),
    Channel(
        "recurrence",
        "diff page",
        page(lambda w: f"/lessons/{OLD_ID}/diff?a={V(w) - 1}&b={V(w)}"),
        says_hidden=True,
    ),
    Channel("recurrence", "API lesson", page(lambda w: f"/api/lessons/{OLD_ID}")),
    Channel(
        "recurrence",
        "API revisions",
        page(lambda w: f"/api/lessons/{OLD_ID}/revisions"),
        says_hidden=True,
    ),
    Channel(
        "recurrence",
        "API revision",
        page(lambda w: f"/api/lessons/{OLD_ID}/revisions/{V(w)}"),
        says_hidden=True,
    ),
    Channel(
        "recurrence",
        "inbox",
        inbox(f"/lessons/{OLD_ID}"),
        says_hidden=True,
        gets=frozenset({"creator", "curator"}),
    ),
    Channel(
        "recurrence",
        "e-mail",
        mail(f"/lessons/{OLD_ID}"),
        says_hidden=True,
        gets=frozenset({"creator", "curator"}),
    ),
    Channel("recurrence", "webhooks", webhook(about(f"lessons/{OLD_ID}")), says_hidden=True),
    # merge: the lesson merged into the restricted one
    Channel("merge", "lesson page", page(lambda w: f"/lessons/{DUP_ID}"), says_hidden=True),
    Channel("merge", "Markdown download", page(lambda w: f"/lessons/{DUP_ID}.md"), names=False),
    Channel(
        "merge", "history page", page(lambda w: f"/lessons/{DUP_ID}/history"), says_hidden=True
    ),
    Channel(
        "merge", "revision page", page(lambda w: f"/lessons/{DUP_ID}/revisions/2"), says_hidden=True
    ),
    Channel(
        "merge", "diff page", page(lambda w: f"/lessons/{DUP_ID}/diff?a=1&b=2"), says_hidden=True
    ),
    Channel("merge", "API lesson", page(lambda w: f"/api/lessons/{DUP_ID}"), says_hidden=True),
    Channel(
        "merge",
        "API revisions",
        page(lambda w: f"/api/lessons/{DUP_ID}/revisions"),
        says_hidden=True,
    ),
    Channel(
        "merge",
        "API revision",
        page(lambda w: f"/api/lessons/{DUP_ID}/revisions/2"),
        says_hidden=True,
    ),
    Channel("merge", "webhooks", webhook(about(f"lessons/{DUP_ID}"))),
    # a process change flags the restricted lesson
    Channel(
        "process change", "API process changes", page(lambda w: "/api/processes/PM-0007/changes")
    ),
    Channel("process change", "process page", page(lambda w: "/processes/PM-0007"), names=False),
    Channel("process change", "inbox", inbox("/tasks"), gets=frozenset({"curator"})),
    Channel("process change", "e-mail", mail("/tasks"), gets=frozenset({"curator"})),
    Channel("process change", "webhooks", webhook(of_type("processmodel.updated"))),
    # a briefing recommends it
    Channel("briefing", "project page", page(lambda w: "/projects/NEWPROJ")),
    Channel("briefing", "API briefings", page(lambda w: "/api/projects/NEWPROJ/briefings")),
    Channel("briefing", "inbox", inbox("/projects/NEWPROJ"), gets=frozenset({"member"})),
    Channel("briefing", "e-mail", mail("/projects/NEWPROJ"), gets=frozenset({"member"})),
    Channel("briefing", "webhooks", webhook(of_type("lessons.recommended"))),
    # a review completes with it
    Channel("review", "inbox", inbox("/projects/NEWPROJ/review"), gets=frozenset({"curator"})),
    Channel("review", "e-mail", mail("/projects/NEWPROJ/review"), gets=frozenset({"curator"})),
    Channel("review", "webhooks", webhook(of_type("review.completed"))),
    # every event kb logged about something else, cut for the role
    Channel("event log", "every kb event", every_event),
    # an action on it (the event about the restricted lesson itself)
    Channel("action", "webhooks", webhook(of_type("lesson.action.added")), gets=frozenset(READERS)),
]


def violations(world: dict, role: str, channel: Channel) -> list[str]:
    text = channel.read(world, role)
    where = f"{channel.scenario} / {channel.name} / {role}"
    if text is None:
        return [f"{where}: got nothing"] if role in channel.gets else []
    if role not in READERS:
        leaked = [m for m in MARKERS if m in text]
        out = [f"{where}: shows {leaked}"] if leaked else []
        if channel.says_hidden and HIDDEN not in text:
            out.append(f"{where}: does not say '{HIDDEN}'")
        return out
    if channel.names and not any(m in text for m in (SECRET_ID, BRIEF_ID)):
        return [f"{where}: does not name the restricted lesson to someone who may read it"]
    return []


def test_derived_text_reaches_only_readers_of_the_restricted_lesson(world, mailbox):
    """One world (it takes seconds to build), read as each of the five roles; a failure names
    the scenario, the channel and the role."""
    world["mailbox"] = mailbox
    found = [v for role in ROLES for channel in CHANNELS for v in violations(world, role, channel)]
    assert found == []


def test_the_matrix_covers_every_scenario_and_channel_kind():
    scenarios = {c.scenario for c in CHANNELS}
    assert scenarios == {
        "recurrence",
        "merge",
        "process change",
        "briefing",
        "review",
        "action",
        "event log",
    }
    kinds = {c.name for c in CHANNELS}
    assert {
        "history page",
        "revision page",
        "diff page",
        "lesson page",
        "API revisions",
        "API revision",
        "API lesson",
        "inbox",
        "e-mail",
        "webhooks",
    } <= kinds
