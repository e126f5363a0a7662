"""The organisation the two-hosts test runs: its people with API tokens, the project tool
sending signed CloudEvents to the hosts in turn, and what it reads back from the database."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from sqlalchemy import func, select
from standardwebhooks import Webhook

from kb.accounts import services as accounts
from kb.briefings.models import Briefing
from kb.context import Kb
from kb.events.jobs.models import Cursor, HandlerRun
from kb.events.log.models import Event
from kb.notifications.models import Notification, SentMail
from kb.reviews.models import Review
from kb.tasks.models import Task

from .fleet import ROOT, Fleet, Host, call
from .test_project_life import MARIA

CONTENT = ROOT / "content"
SECRET = "whsec_a2IgdHdvIGhvc3RzIHRlc3Qgc2VjcmV0IDMyIGJ5dGU="
#: how long the workers may take to finish what one step started
SETTLE_WITHIN = 30.0


class Organisation:
    """The starter content, a project manager and a curator with API tokens, the project
    tool signing with KB_EVENT_SECRET; then two hosts and two workers."""

    def __init__(self, kb: Kb, fleet: Fleet, hosts: list[Host]):
        self.kb, self.fleet, self.hosts = kb, fleet, hosts
        self.workers: dict[str, str] = {}  # process name -> worker name (its lease owner)
        self.sent: list[dict] = []
        self.turn = 0
        self.tokens = {}
        for username, role, email in (
            ("maria", "contributor", MARIA),
            ("cora", "curator", "cora@example.org"),
        ):
            accounts.create_user(
                kb.db,
                username,
                password="correct horse battery",
                role=role,
                email=email,
                actor="test",
            )
            self.tokens[username] = accounts.create_token(
                kb.db, username, name="test", scope="write"
            )[1]

    def next_host(self) -> Host:
        """The hosts take turns, as a load balancer would hand requests out."""
        self.turn += 1
        return self.hosts[self.turn % len(self.hosts)]

    def send(self, short_type: str, data: dict, *, event_id: str | None = None) -> None:
        event = {
            "specversion": "1.0",
            "id": event_id or f"orion-{len(self.sent) + 1}",
            "source": "urn:pmo:projects:acme",
            "type": f"org.pmo.{short_type}",
            "time": datetime.now(UTC).isoformat(),
            "subject": "projects/ORION",
            "datacontenttype": "application/json",
            "data": data,
        }
        body = json.dumps(event)
        now = datetime.now(UTC)
        host = self.next_host()
        answer = call(
            host.url + "/api/events",
            "POST",
            body=body.encode(),
            headers={
                "Content-Type": "application/cloudevents+json",
                "webhook-id": event["id"],
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": Webhook(SECRET).sign(event["id"], now, body),
            },
        )
        assert answer.status == 202, (host.name, answer)
        if event_id is None:
            self.sent.append(event)

    def api(self, who: str, method: str, path: str, payload: dict | None = None) -> dict:
        host = self.next_host()
        answer = host.api(method, path, self.tokens[who], payload)
        assert answer.status in (200, 201), (host.name, method, path, answer)
        return answer.json

    def settle(self) -> None:
        """Until every event is dispatched and no handler run is left to do."""
        deadline = time.monotonic() + SETTLE_WITHIN
        while time.monotonic() < deadline:
            # one statement, one snapshot: read one by one, the cursor and the newest event
            # could come from before a handler's commit and its runs from after it
            with self.kb.db.read() as s:
                dispatched, newest, open_runs = s.execute(
                    select(
                        select(Cursor.position).where(Cursor.name == "dispatch").scalar_subquery(),
                        select(func.max(Event.seq)).scalar_subquery(),
                        select(func.count())
                        .where(HandlerRun.status.in_(("pending", "running")))
                        .scalar_subquery(),
                    )
                ).one()
            if dispatched == newest and not open_runs:
                return
            time.sleep(0.05)
        raise AssertionError(
            f"the workers did not finish within {SETTLE_WITHIN} s\n{self.fleet.logs()}"
        )

    def kill_while_delivering(self, name: str) -> HandlerRun:
        """SIGKILL worker `name` once it holds a delivery run (held by the mail server, it
        cannot finish the run before the kill)."""
        deadline = time.monotonic() + SETTLE_WITHIN
        while time.monotonic() < deadline:
            with self.kb.db.read() as s:
                held = s.scalar(
                    select(HandlerRun).where(
                        HandlerRun.status == "running",
                        HandlerRun.lane == "deliveries",
                        HandlerRun.lease_owner == self.workers[name],
                    )
                )
            if held is not None:
                self.fleet.kill(name)
                return held
            time.sleep(0.02)
        raise AssertionError(f"{name} never claimed a delivery\n{self.fleet.logs()}")

    def emitted(self, name: str) -> list[Event]:
        with self.kb.db.read() as s:
            return list(s.scalars(select(Event).where(Event.type == f"org.pmo.kb.{name}")))

    def state(self) -> dict:
        with self.kb.db.read() as s:
            count = lambda model: s.scalar(select(func.count()).select_from(model))  # noqa: E731
            kb_events = s.execute(
                select(Event.type, func.count())
                .where(Event.source == "urn:pmo:kb")
                .group_by(Event.type)
            ).all()
            return {
                "kb events": dict(kb_events),
                "briefings": count(Briefing),
                "reviews": count(Review),
                "tasks": count(Task),
                "notifications": count(Notification),
                "mails": count(SentMail),
                "runs not done": s.scalar(select(func.count()).where(HandlerRun.status != "done")),
            }
