"""The fan-out that turns kb's own events into webhook delivery runs (`webhook:<subscription
id>`), and the delivery of one run: a structured CloudEvent, signed the Standard Webhooks way,
POSTed once per attempt. The worker retries a failed attempt on SCHEDULE and dead-letters the
run after the last one; every attempt is logged. Both ask the application's `Rules` what the
subscription's owner may read; there are no default rules.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.config import Config
from kb.core.time import as_utc, stamp, utcnow
from kb.db import Database
from kb.events.jobs.models import HandlerRun
from kb.events.jobs.registry import DELIVERY_LANE, Cancelled, GiveUp, Handler, Registry
from kb.events.log.models import Event
from kb.events.log.services import KB_SOURCE
from kb.events.signing import sign
from kb.events.webhooks import ping, subscriptions
from kb.events.webhooks.models import DeliveryAttempt, Subscription
from kb.events.webhooks.posting import post

log = logging.getLogger(__name__)

HANDLER = "webhook"
#: Standard Webhooks: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h
SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
USER_AGENT = "kb-webhooks/1"
NAME_MAX, URL_MAX, PATTERN_MAX, PATTERNS_MAX, ERROR_MAX = 80, 500, 200, 50, 500
#: CloudEvents attributes an event's stored `attributes` may not override
CORE_ATTRIBUTES = {
    "specversion",
    "id",
    "source",
    "type",
    "subject",
    "time",
    "data",
    "data_base64",
    "partitionkey",
}


class DeliveryFailed(Exception):
    """One attempt failed (status, refused, timeout...): the worker retries on SCHEDULE."""


def matches(patterns: list[str], event_type: str) -> bool:
    return not patterns or any(fnmatchcase(event_type, p) for p in patterns)


@dataclass(frozen=True)
class Rules:
    """What a subscription's owner may read. The rules live with documents and accounts, which
    this package must not import, so the application passes them in. There is no default: a
    delivery built without them is an error, never "everything visible" (fail closed)."""

    #: may this subscription's owner read what the event tells?
    visible: Callable[[Event, Subscription], bool]
    #: the event's data as this subscription's owner may read it (other documents it names
    #: taken out), None when not at all
    payload: Callable[[Event, Subscription], dict | None]

    def __post_init__(self) -> None:
        for name in ("visible", "payload"):
            if not callable(getattr(self, name)):
                raise TypeError(
                    f"the webhook {name} rule must be a function, not {getattr(self, name)!r}"
                )


def wants(subscription: Subscription, event: Event, rules: Rules) -> bool:
    """Only kb's own events, never ignored ones, of a matching type, visible to the owner; a
    test event only to the subscription it is addressed to, whatever its types.

    fanout() and deliver() both ask: a subscriber never receives what its owner may not read.
    """
    if event.source != KB_SOURCE or event.is_ignored:
        return False
    if event.type == ping.TEST_TYPE:
        return ping.addressed_to(event) == subscription.id
    return matches(subscription.types or [], event.type) and rules.visible(event, subscription)


def fanout(s: Session, event: Event, *, rules: Rules) -> list[str]:
    """Registry fan-out: one run `webhook:<id>` per active subscription that wants the event."""
    if event.source != KB_SOURCE or event.is_ignored:
        return []
    # The dispatcher calls this for each event of a batch in one transaction: read once.
    active = s.info.get("kb.webhooks.active")
    if active is None:
        query = select(Subscription).where(Subscription.is_active.is_(True))
        active = s.info["kb.webhooks.active"] = list(s.scalars(query.order_by(Subscription.id)))
    return [f"{HANDLER}:{sub.id}" for sub in active if wants(sub, event, rules)]


def receiver_of(s: Session, run_handler: str) -> str | None:
    """The dispatcher asks: which host does this delivery run talk to (see jobs/worker.py's cap)."""
    by_id = s.info.get("kb.webhooks.by_id")
    if by_id is None:  # fanout() has just read the active subscriptions of this transaction
        by_id = s.info["kb.webhooks.by_id"] = {
            sub.id: sub for sub in s.info.get("kb.webhooks.active", [])
        }
    sub = by_id.get(subscription_id_of(run_handler)) or s.get(
        Subscription, subscription_id_of(run_handler)
    )
    return subscriptions.receiver_host(sub.url) if sub is not None else None


# --- delivery ------------------------------------------------------------------------------


def envelope(event: Event) -> dict:
    """The structured CloudEvent (JSON format) of a logged event."""
    out: dict = {
        "specversion": "1.0",
        "id": event.event_id,
        "source": event.source,
        "type": event.type,
    }
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


def subscription_id_of(run_handler: str) -> int:
    prefix, _, rest = run_handler.partition(":")
    if prefix != HANDLER or not rest.isdigit():
        raise GiveUp(f"{run_handler!r} is not a webhook run")
    return int(rest)


def deliver(
    db: Database, run: HandlerRun, event: Event, *, rules: Rules, timeout: float = 10.0
) -> None:
    """The `webhook` prefix handler: one delivery attempt of `event` to the run's subscription.

    Returns when delivered (or when the subscription no longer wants the event); raises
    DeliveryFailed to be retried, GiveUp when retrying is pointless (410 Gone), Cancelled when
    the subscription is (or became, during the attempt) disabled.
    """
    subscription = subscriptions.get_subscription(db, subscription_id_of(run.handler))
    if subscription is None:
        raise GiveUp(f"subscription of {run.handler} no longer exists")
    if not subscription.is_active:
        raise Cancelled(f"subscription {subscription.id} is disabled")
    if not wants(subscription, event, rules):
        log.info("%s: not delivering event %s (no longer wanted)", run.handler, event.seq)
        return
    data = rules.payload(event, subscription)
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
        s.add(
            DeliveryAttempt(
                run_id=run.id,
                subscription_id=subscription.id,
                event_seq=event.seq,
                status_code=outcome.status_code,
                duration_ms=outcome.duration_ms,
                error=outcome.error[:ERROR_MAX] if outcome.error else None,
            )
        )
        current = s.get(Subscription, subscription.id, with_for_update=gone)
        # Only if nobody pointed it elsewhere while we waited for the answer.
        if gone and current is not None and current.is_active and current.url == subscription.url:
            current.is_active, current.disabled_reason = False, reason[:300]
            subscriptions.cancel_pending(s, current)
        active = current is not None and current.is_active
    if outcome.ok:
        log.info("%s: delivered event %s (%s)", run.handler, event.seq, outcome.status_code)
        return
    if gone:
        log.warning("%s: %s; subscription disabled", run.handler, reason)
        raise GiveUp(f"{reason}; subscription disabled")
    if not active:  # disabled while this attempt was under way: no retry
        raise Cancelled(f"subscription {subscription.id} was disabled; {outcome.error}")
    raise DeliveryFailed(outcome.error)


def register(registry: Registry, config: Config, rules: Rules) -> None:
    """Add the `webhook` delivery handler and the subscription fan-out to the registry; both
    ask `rules` what each subscription's owner may read."""
    if not isinstance(rules, Rules):  # checked here, not on the first delivery days later
        raise TypeError(f"webhooks need the visibility rules, not {rules!r}")
    registry.register(
        Handler(
            name=HANDLER,
            types=(),
            fn=partial(deliver, rules=rules, timeout=config.WEBHOOK_TIMEOUT),
            transactional=False,
            is_prefix=True,
            schedule=SCHEDULE,
            # receivers deduplicate by webhook-id and do not rely on order (Standard
            # Webhooks); ordered runs would let one rejected event hold back days of others
            ordered=False,
            # a dead receiver must not hold up kb's own handlers (jobs/worker.py, jobs/lanes.py)
            lane=DELIVERY_LANE,
            receiver=receiver_of,
        )
    )
    registry.add_fanout(partial(fanout, rules=rules))
