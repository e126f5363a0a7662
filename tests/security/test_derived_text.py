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
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from alembic import command
from sqlalchemy import select, update

from kb.accounts import services as accounts
from kb.accounts.viewer import ANONYMOUS, Viewer
from kb.actions import services as actions
from kb.core.time import utcnow
from kb.db import Database
from kb.documents import lifecycle, references
from kb.documents import services as documents
from kb.documents.models import DocumentRevision
from kb.events.log.models import Event
from kb.events.log.services import KB_SOURCE, lock_log
from kb.events.webhooks import subscriptions
from kb.migrate import alembic_config, upgrade
from kb.projects.models import Project
from kb.reviews import services as reviews

SECRET_ID, BRIEF_ID = "LL-2026-0530", "LL-2026-0531"
OLD_ID, DUP_ID, PUBLIC_ID = "LL-2025-0101", "LL-2025-0102", "LL-2025-0103"
#: what must not reach who may not read the restricted lessons
MARKERS = (SECRET_ID, BRIEF_ID, "FINPROJ", "Secret ledger")
HIDDEN = "a lesson you may not read"
#: "anonymous": a visitor with KB_ANONYMOUS_READ on, and a subscription without an owner
ROLES = ("outsider", "member", "creator", "curator", "anonymous")
#: the roles that may read the restricted lessons (members of `finance`, curators)
READERS = {"member", "curator"}
CURATOR = Viewer("cora", "curator")
BODY = """## What happened

The vendor interface specification arrived six weeks late, the integration team waited, and
the budget for external vendor consultants overran by forty percent before the interface was
agreed and signed.

## Lesson

Agree the vendor interface specification before the contract is signed, with a penalty clause.
"""


def lesson(
    doc_id: str,
    title: str,
    *,
    status: str,
    project: str,
    tags: str = "[vendor, budget]",
    restricted: bool = False,
    extra: str = "",
    body: str = BODY,
) -> str:
    access = "visibility: restricted\ngroups: [finance]\n" if restricted else ""
    return (
        f"---\nid: {doc_id}\ntitle: {title}\nstatus: {status}\npolarity: problem\n"
        f"project: {project}\nphase: build\ntopics: [procurement]\ntags: {tags}\n"
        f"occurred_on: 2025-03-14\n{access}{extra}---\n\n{body}"
    )


class Receiver:
    """A real HTTP server recording each webhook body by path (/<role>)."""

    def __init__(self):
        self.bodies: dict[str, list[dict]] = {}
        lock, bodies = threading.Lock(), self.bodies

        class Handle(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with lock:
                    bodies.setdefault(self.path.strip("/"), []).append(body)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/{path}"


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


def drain(kb) -> None:
    deadline = time.monotonic() + 60
    while kb.worker.run_pending():
        assert time.monotonic() < deadline, "the worker never became idle"


def inbound(kb, kind: str, data: dict) -> None:
    """An event from a project tool, as POST /api/events stores it, then handled."""
    with kb.db.write() as s:
        lock_log(s)
        s.add(
            Event(
                source="urn:pmo:test",
                event_id=str(uuid.uuid4()),
                type=f"org.pmo.{kind}",
                time=utcnow(),
                data=data,
                partition_key=None,
            )
        )
    drain(kb)


def signed_in(app, user):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}:{user.session_token}"
        session["_fresh"] = True
        session["auth_at"] = int(time.time())
    return client


@pytest.fixture
def world(app, kb, receiver, make_project):
    """Every derived record about the restricted lessons, and a client per role."""
    make = lambda name, role, groups=(): accounts.create_user(  # noqa: E731
        kb.db,
        name,
        password="correct horse battery",
        role=role,
        groups=list(groups),
        email=f"{name}@example.org",
        actor="test",
    )
    users = {
        "outsider": make("olga", "reader"),
        "member": make("mia", "reader", ["finance"]),
        "creator": make("cleo", "contributor"),
        "curator": make("cora", "curator"),
    }
    for role, user in users.items():
        subscriptions.create_subscription(
            kb.db, name=f"{role}'s", url=receiver.url(role), owner=user.username
        )
    subscriptions.create_subscription(kb.db, name="nobody's", url=receiver.url("anonymous"))
    create = lambda source, by=None: documents.create_document(  # noqa: E731
        kb.db, source, actor="test", type_hint="lesson", created_by=by
    )
    make_project("ATLAS", "FINPROJ")  # registered as project tools would (not by a lesson)
    documents.create_document(
        kb.db,
        "---\nid: PM-0007\ntitle: Vendor onboarding\n---\n\nSteps.\n",
        actor="test",
        type_hint="process",
    )
    create(
        lesson(
            OLD_ID,
            "Vendor interface specification arrived late",
            status="actioned",
            project="ATLAS",
        ),
        "cleo",
    )
    create(
        lesson(
            SECRET_ID,
            "Secret ledger overran vendor budget",
            status="draft",
            project="FINPROJ",
            restricted=True,
        )
    )
    create(
        lesson(
            DUP_ID,
            "Consultant costs noted twice",
            status="submitted",
            project="ATLAS",
            tags="[costs]",
            body="## What happened\n\nThe same overrun, noted again.\n",
        ),
        "cleo",
    )
    link = "processes: [PM-0007]\n"
    create(
        lesson(
            BRIEF_ID,
            "Secret ledger reconciliation came too late",
            status="published",
            project="FINPROJ",
            tags="[ledger]",
            restricted=True,
            extra=link,
            body="## What happened\n\nThe ledger reconciliation was late.\n",
        )
    )
    create(
        lesson(
            PUBLIC_ID,
            "Ledger reconciliation checklist helped",
            status="published",
            project="ATLAS",
            tags="[ledger]",
            extra=link,
            body="## What happened\n\nA ledger reconciliation checklist helped.\n",
        )
    )
    kb.projection.catch_up()
    drain(kb)
    receiver.bodies.clear()  # what came before is about the lessons themselves

    # recurrence: the restricted lesson recurs the internal one, which is reopened
    lifecycle.transition_lesson(kb.db, SECRET_ID, "submitted", viewer=CURATOR)
    kb.projection.catch_up()
    drain(kb)
    assert documents.get_document(kb.db, OLD_ID).status == "reopened"
    # merge: an internal lesson merged into it, with the reason the merge button writes
    lifecycle.transition_lesson(
        kb.db,
        DUP_ID,
        "merged",
        viewer=CURATOR,
        merged_into=SECRET_ID,
        reason=f"Same as {SECRET_ID} (64 % similar)",
    )
    drain(kb)
    # a process change flags the lessons linking the model
    inbound(
        kb,
        "process.changed",
        {
            "processId": "PM-0007",
            "version": "3.0",
            "changeType": "updated",
            "effectiveFrom": "2026-01-01",
            "changedBy": "bpm",
            "summary": "New approval step",
        },
    )
    # a briefing for a project managed by a member of finance recommends it
    project = {
        "projectId": "NEWPROJ",
        "name": "Ledger reconciliation",
        "description": "ledger reconciliation",
    }
    inbound(
        kb,
        "project.started",
        {
            "project": project,
            "actualStart": "2026-01-05",
            "managerEmail": "mia@example.org",
            "tags": ["ledger"],
        },
    )
    # a review completes with it
    inbound(
        kb,
        "project.closed",
        {
            "project": project,
            "closedAt": "2026-06-30T12:00:00Z",
            "closureType": "completed",
            "managerEmail": "nobody@example.org",
            "processModels": [],
        },
    )
    with kb.db.write() as s:
        review = reviews.current_review(s, "NEWPROJ", lock=True)
        reviews.complete_in(s, review, actor="facilitator", lessons=[BRIEF_ID, PUBLIC_ID])
    drain(kb)
    # an action on it: the event's own `id` is the action's, its subject the lesson
    actions.add_action(
        kb.db,
        BRIEF_ID,
        viewer=CURATOR,
        description="Reconcile weekly",
        owner="mia",
        due_on="2026-09-30",
        target_kind="checklist",
        target_ref="Month-end checklist",
    )
    drain(kb)
    clients = {role: signed_in(app, user) for role, user in users.items()}
    app.config["KB_ANONYMOUS_READ"] = True
    clients["anonymous"] = app.test_client()
    return {
        "clients": clients,
        "users": users,
        "receiver": receiver,
        "kb": kb,
        "old_version": documents.get_document(kb.db, OLD_ID).version,
    }


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


# --- the pieces ------------------------------------------------------------------------------


def make_lesson(kb, doc_id: str, *, groups: str | None = None, by: str | None = None):
    extra = f"visibility: restricted\ngroups: {groups}\n" if groups else ""
    source = lesson(doc_id, f"Lesson {doc_id}", status="submitted", project="ATLAS", extra=extra)
    with kb.db.write() as s:  # the project, as the project tools registered it
        if s.get(Project, "ATLAS") is None:
            s.add(Project(key="ATLAS", name="Atlas", status="active"))
    return documents.create_document(kb.db, source, actor="test", type_hint="lesson", created_by=by)


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        ((None, None), (None, None), True),  # internal -> internal
        ((None, None), ("[finance]", None), False),  # internal -> restricted
        (("[finance]", "fay"), ("[finance]", "fay"), True),
        (("[finance]", None), ("[finance, hr]", None), True),  # every group of the source
        (("[finance, hr]", None), ("[finance]", None), False),  # hr's members may not
        (("[finance]", "olga"), ("[finance]", None), False),  # its creator may not
        (("[finance]", "mia"), ("[finance]", None), True),  # its creator is in finance
    ],
)
def test_every_reader_may_read(kb, source, target, expected):
    accounts.create_user(kb.db, "olga", password="correct horse battery", actor="test")
    accounts.create_user(
        kb.db, "mia", password="correct horse battery", groups=["finance"], actor="test"
    )
    a = make_lesson(kb, "LL-2025-0201", groups=source[0], by=source[1])
    b = make_lesson(kb, "LL-2025-0202", groups=target[0], by=target[1])
    with kb.db.read() as s:
        assert references.every_reader_may_read(s, a, b) is expected


def test_a_merge_between_lessons_of_one_audience_names_the_target_as_before(kb, client):
    make_lesson(kb, "LL-2025-0201", groups="[finance]")
    make_lesson(kb, "LL-2025-0202", groups="[finance]")
    lifecycle.transition_lesson(
        kb.db,
        "LL-2025-0201",
        "merged",
        viewer=CURATOR,
        merged_into="LL-2025-0202",
        reason="Same problem",
    )
    markdown = documents.get_revision(kb.db, "LL-2025-0201").markdown
    assert "merged_into: LL-2025-0202" in markdown
    answer = client.get("/api/lessons/LL-2025-0201").json
    assert answer["merged_into"] == answer["extra"]["merged_into"] == "LL-2025-0202"
    history = client.get("/api/lessons/LL-2025-0201/revisions").json["revisions"]
    assert history[0]["message"] == "Merged into LL-2025-0202: Same problem"


def test_a_target_restricted_after_the_merge_is_hidden_at_read_time(kb, app, login_as):
    make_lesson(kb, "LL-2025-0201")
    make_lesson(kb, "LL-2025-0202")
    lifecycle.transition_lesson(
        kb.db, "LL-2025-0201", "merged", viewer=CURATOR, merged_into="LL-2025-0202"
    )
    base = documents.get_document(kb.db, "LL-2025-0202").version
    restricted = documents.get_revision(kb.db, "LL-2025-0202").markdown.replace(
        "status: submitted\n", "status: submitted\nvisibility: restricted\ngroups: [finance]\n"
    )
    documents.update_document(kb.db, "LL-2025-0202", restricted, actor="test", base_version=base)
    outsider = login_as("reader", "olga")
    answer = outsider.get("/api/lessons/LL-2025-0201").json
    assert answer["merged_into"] is None and "merged_into" not in answer["extra"]
    assert answer["merged_into_note"] == f"Merged into {HIDDEN}"
    [merge, _] = outsider.get("/api/lessons/LL-2025-0201/revisions").json["revisions"]
    assert merge["message"] == f"Merged into {HIDDEN}"
    page = outsider.get("/lessons/LL-2025-0201").get_data(as_text=True)
    assert HIDDEN in page and 'href="/lessons/LL-2025-0202"' not in page


def test_the_migration_moves_existing_notes_naming_another_lesson(database_url):
    """Notes written before 0013 named the other lesson in `message`: it moves to
    `named_message`, and `message` says what everyone may read."""
    db = Database(database_url)
    try:
        with db.write() as s:
            s.add(Project(key="ATLAS", name="Atlas", status="active"))
        for doc_id in (OLD_ID, DUP_ID, PUBLIC_ID):
            documents.create_document(
                db,
                lesson(doc_id, "A lesson", status="submitted", project="ATLAS"),
                actor="test",
                type_hint="lesson",
            )
        notes = {
            OLD_ID: f"Reopened: The problem recurred in {SECRET_ID} (FINPROJ): Secret x",
            DUP_ID: f"Merged into {SECRET_ID}: Same as {SECRET_ID}",
            PUBLIC_ID: "Edited the merged into paragraph",
        }
        with db.write() as s:
            for doc_id, note in notes.items():
                s.execute(
                    update(DocumentRevision)
                    .where(DocumentRevision.document_id == doc_id)
                    .values(message=note)
                )
        db.dispose()
        command.downgrade(alembic_config(database_url), "0010")
        upgrade(database_url)
        with db.read() as s:
            rows = {
                r.document_id: (r.message, r.refers_to, r.named_message)
                for r in s.scalars(select(DocumentRevision))
            }
        assert rows[OLD_ID] == (
            f"Reopened: The problem recurred in {HIDDEN}",
            SECRET_ID,
            notes[OLD_ID],
        )
        assert rows[DUP_ID] == (f"Merged into {HIDDEN}", SECRET_ID, notes[DUP_ID])
        assert rows[PUBLIC_ID] == (notes[PUBLIC_ID], None, None)
    finally:
        db.dispose()
        upgrade(database_url)
