"""The world of the derived-text tests: restricted lessons whose names kb copies into other
records (recurrence, merge, process change, briefing, review, action), the users of each role,
and a webhook receiver per role."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from kb.accounts import services as accounts
from kb.accounts.viewer import Viewer
from kb.actions import services as actions
from kb.core.time import utcnow
from kb.documents import lifecycle
from kb.documents import services as documents
from kb.events.log.models import Event
from kb.events.log.services import lock_log
from kb.events.webhooks import subscriptions
from kb.overdue import services as overdue
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


def drain(kb) -> None:
    """The worker until it is idle, each pass as if a minute had passed since the last: its
    sweeps (overdue reviews and models, at most once a minute) run on every pass, as they
    would over the minutes a real project takes."""
    deadline = time.monotonic() + 60
    while True:
        for sweep in kb.worker.periodic:
            if isinstance(sweep, overdue.Sweeper):
                sweep.last = None
        if not kb.worker.run_pending():
            return
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


def build_world(app, kb, receiver, make_project) -> dict:
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
