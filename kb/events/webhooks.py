"""Outbound webhooks: subscriptions, the fan-out that turns kb's own events into delivery
runs (`webhook:<subscription id>`), and the delivery of one run: a structured CloudEvent,
signed the Standard Webhooks way, POSTed once per attempt. The worker retries a failed
attempt on SCHEDULE and dead-letters the run after the last one; every attempt is logged.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.config import Config
from kb.core.time import as_utc, stamp, utcnow
from kb.db import Database
from kb.events import subscriptions
from kb.events.models import DeliveryAttempt, Event, HandlerRun, Subscription
from kb.events.registry import GiveUp, Handler, Registry
from kb.events.services import KB_SOURCE
from kb.events.signing import sign

log = logging.getLogger(__name__)

HANDLER = "webhook"
#: Standard Webhooks: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h
SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
USER_AGENT = "kb-webhooks/1"
#: bytes of a receiver's answer read at most (for the delivery log), so a huge body costs nothing
EXCERPT_BYTES = 2048
NAME_MAX, URL_MAX, PATTERN_MAX, PATTERNS_MAX, ERROR_MAX = 80, 500, 200, 50, 500
#: CloudEvents attributes an event's stored `attributes` may not override
CORE_ATTRIBUTES = {"specversion", "id", "source", "type", "subject", "time", "data",
                   "data_base64", "partitionkey"}  # fmt: skip


class DeliveryFailed(Exception):
    """One attempt failed (status, refused, timeout...): the worker retries on SCHEDULE."""


def matches(patterns: list[str], event_type: str) -> bool:
    return not patterns or any(fnmatchcase(event_type, p) for p in patterns)


#: may this subscription's owner read what the event tells? Set by the application (the
#: rules live with documents and accounts, which this module must not import); until then,
#: and for events about no document, everything is visible.
visibility_rule: Callable[[Event, Subscription], bool] | None = None


#: the event's data as this subscription's owner may read it (other documents it names taken
#: out), None when not at all. Set by the application like visibility_rule; until then, the
#: data as logged.
payload_rule: Callable[[Event, Subscription], dict | None] | None = None


def visible_to_subscription(event: Event, subscription: Subscription) -> bool:
    """fanout() and deliver() both ask: a subscriber never receives what its owner may not read."""
    return visibility_rule is None or visibility_rule(event, subscription)


def wants(subscription: Subscription, event: Event) -> bool:
    """Only kb's own events, never ignored ones, of a matching type, visible to the owner."""
    return (
        event.source == KB_SOURCE
        and not event.is_ignored
        and matches(subscription.types or [], event.type)
        and visible_to_subscription(event, subscription)
    )


def fanout(s: Session, event: Event) -> list[str]:
    """Registry fan-out: one run `webhook:<id>` per active subscription that wants the event."""
    if event.source != KB_SOURCE or event.is_ignored:
        return []
    # The dispatcher calls this for each event of a batch in one transaction: read once.
    active = s.info.get("kb.webhooks.active")
    if active is None:
        query = select(Subscription).where(Subscription.is_active.is_(True))
        active = s.info["kb.webhooks.active"] = list(s.scalars(query.order_by(Subscription.id)))
    return [f"{HANDLER}:{sub.id}" for sub in active if wants(sub, event)]


# --- delivery ------------------------------------------------------------------------------


def envelope(event: Event) -> dict:
    """The structured CloudEvent (JSON format) of a logged event."""
    out: dict = {"specversion": "1.0", "id": event.event_id, "source": event.source,
                 "type": event.type}  # fmt: skip
    if event.subject:
        out["subject"] = event.subject
    out["time"] = as_utc(event.time).isoformat().replace("+00:00", "Z")
    attributes = dict(event.attributes or {})
    out["datacontenttype"] = attributes.pop("datacontenttype", None) or "application/json"
    if event.partition_key:
        out["partitionkey"] = event.partition_key
    out.update({k: v for k, v in attributes.items() if k not in CORE_ATTRIBUTES})
    out["data"] = event.data
    return out


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    duration_ms: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 3xx is the receiver's answer, not an instruction: POST only to the configured URL."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        return None  # urllib then raises HTTPError with the 3xx status


def _excerpt(stream, deadline: float) -> str:  # noqa: ANN001
    """The start of an answer's body, read in small pieces until EXCERPT_BYTES or the deadline."""
    chunks: list[bytes] = []
    size = 0
    read = getattr(stream, "read1", None) or stream.read
    try:
        while size < EXCERPT_BYTES and time.monotonic() < deadline:
            chunk = read(EXCERPT_BYTES - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except (OSError, http.client.HTTPException, ValueError):
        pass  # an excerpt is a courtesy
    return " ".join(b"".join(chunks).decode("utf-8", "replace").split())[:200]


def _reason(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        exc = exc.reason
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return f"host name not found ({exc.strerror})"
    name = type(exc).__name__
    if "SSL" in name or "Certificate" in name:
        return f"TLS: {exc}"
    return f"{name}: {exc}"


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    """One POST, no redirects; `timeout` bounds connecting and each wait for the answer."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    started = time.monotonic()
    elapsed = lambda: int((time.monotonic() - started) * 1000)  # noqa: E731
    try:
        with opener.open(request, timeout=timeout) as response:
            return Outcome(response.status, elapsed(), None)  # a 2xx: its body is not needed
    except urllib.error.HTTPError as exc:  # every other status
        with exc:
            if 300 <= exc.code < 400:
                where = (exc.headers.get("Location") or "")[:200]
                return Outcome(exc.code, elapsed(), f"HTTP {exc.code} redirect to {where} "
                               "(not followed)")  # fmt: skip
            excerpt = _excerpt(exc.fp, started + timeout) if exc.fp else ""
        error = f"HTTP {exc.code} {exc.reason}" + (f": {excerpt}" if excerpt else "")
        return Outcome(exc.code, elapsed(), error)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return Outcome(None, elapsed(), _reason(exc, timeout))


def subscription_id_of(run_handler: str) -> int:
    prefix, _, rest = run_handler.partition(":")
    if prefix != HANDLER or not rest.isdigit():
        raise GiveUp(f"{run_handler!r} is not a webhook run")
    return int(rest)


def deliver(db: Database, run: HandlerRun, event: Event, *, timeout: float = 10.0) -> None:
    """The `webhook` prefix handler: one delivery attempt of `event` to the run's subscription.

    Returns when delivered (or when there is nothing to deliver any more); raises
    DeliveryFailed to be retried, GiveUp when retrying is pointless (410 Gone).
    """
    subscription = subscriptions.get_subscription(db, subscription_id_of(run.handler))
    if subscription is None:
        raise GiveUp(f"subscription of {run.handler} no longer exists")
    if not subscription.is_active or not wants(subscription, event):
        log.info("%s: not delivering event %s (inactive or no longer wanted)", run.handler,
                 event.seq)  # fmt: skip
        return
    data = event.data if payload_rule is None else payload_rule(event, subscription)
    if data is None:
        log.info("%s: not delivering event %s (its owner may not read it)", run.handler, event.seq)
        return
    out = {**envelope(event), "data": data}
    body = json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/cloudevents+json",
        "User-Agent": USER_AGENT,
        "webhook-id": event.event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(subscription.secret, event.event_id, timestamp, body),
    }
    outcome = post(subscription.url, body, headers, timeout)
    gone = outcome.status_code == 410
    reason = f"410 Gone from {subscription.url} at {stamp(utcnow())}"
    with db.write() as s:
        s.add(DeliveryAttempt(
            run_id=run.id, subscription_id=subscription.id, event_seq=event.seq,
            status_code=outcome.status_code, duration_ms=outcome.duration_ms,
            error=outcome.error[:ERROR_MAX] if outcome.error else None,
        ))  # fmt: skip
        if gone:
            current = s.get(Subscription, subscription.id, with_for_update=True)
            # Only if nobody pointed it elsewhere while we waited for the answer.
            if current is not None and current.is_active and current.url == subscription.url:
                current.is_active, current.disabled_reason = False, reason[:300]
    if outcome.ok:
        log.info("%s: delivered event %s (%s)", run.handler, event.seq, outcome.status_code)
        return
    if gone:
        log.warning("%s: %s; subscription disabled", run.handler, reason)
        raise GiveUp(f"{reason}; subscription disabled")
    raise DeliveryFailed(outcome.error)


def register(registry: Registry, config: Config) -> None:
    """Add the `webhook` delivery handler and the subscription fan-out to the registry."""
    registry.register(
        Handler(
            name=HANDLER,
            types=(),
            fn=partial(deliver, timeout=config.WEBHOOK_TIMEOUT),
            transactional=False,
            is_prefix=True,
            schedule=SCHEDULE,
            # receivers deduplicate by webhook-id and do not rely on order (Standard
            # Webhooks); ordered runs would let one rejected event hold back days of others
            ordered=False,
        )
    )
    registry.add_fanout(fanout)
