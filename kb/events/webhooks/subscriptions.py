"""Webhook subscriptions: validation, the services that manage them, and their delivery log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kb.core.errors import NotFound, ValidationError
from kb.core.text import is_blank
from kb.core.time import as_utc, stamp, utcnow
from kb.db import Database
from kb.events.jobs.models import HandlerRun
from kb.events.log.models import Event
from kb.events.log.services import KB_TYPE_PREFIX
from kb.events.signing import new_secret
from kb.events.webhooks.models import DeliveryAttempt, Subscription

NAME_MAX, URL_MAX, PATTERN_MAX, PATTERNS_MAX, ERROR_MAX = 80, 500, 200, 50, 500
HANDLER = "webhook"


# --- validation ----------------------------------------------------------------------------


def clean_name(name: object) -> str:
    if not isinstance(name, str) or is_blank(name):
        raise ValidationError("Give the subscription a name.", field="name")
    name = " ".join(name.split())
    if len(name) > NAME_MAX:
        raise ValidationError(f"The name is limited to {NAME_MAX} characters.", field="name")
    return name


def clean_url(url: object) -> str:
    if not isinstance(url, str) or not url.strip():
        raise ValidationError("Give the URL to deliver to.", field="url")
    url = url.strip()
    if len(url) > URL_MAX:
        raise ValidationError(f"The URL is limited to {URL_MAX} characters.", field="url")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise ValidationError("The URL may not contain spaces or control characters.", field="url")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError(
            f"The URL must start with https:// or http://, not '{parts.scheme or url[:20]}'.",
            field="url",
        )
    if "@" in parts.netloc:
        raise ValidationError(
            "The URL may not contain a user name or password: receivers check the signature.",
            field="url",
        )
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ValidationError("The URL has an invalid port.", field="url") from None
    if not parts.hostname:
        raise ValidationError("The URL has no host name.", field="url")
    return url


def receiver_host(url: str) -> str | None:
    """The receiver a subscription's deliveries talk to: its URL's host. Deliveries are
    counted by it, so that many subscriptions to one dead host cannot take every thread."""
    return (urlsplit(url).hostname or "")[:200] or None


def _literal_prefix(pattern: str) -> str:
    for i, char in enumerate(pattern):
        if char in "*?[":
            return pattern[:i]
    return pattern


def clean_types(types: object) -> list[str]:
    """Type patterns (fnmatch: `*`, `?`, `[...]`); an empty list means every kb event."""
    if types is None:
        return []
    if not isinstance(types, list | tuple):
        raise ValidationError("`types` must be a list of event type patterns.", field="types")
    if len(types) > PATTERNS_MAX:
        raise ValidationError(f"At most {PATTERNS_MAX} type patterns.", field="types")
    cleaned: list[str] = []
    ours = KB_TYPE_PREFIX + "."
    for pattern in types:
        if not isinstance(pattern, str) or not pattern.strip():
            raise ValidationError("A type pattern may not be empty.", field="types")
        pattern = pattern.strip()
        if len(pattern) > PATTERN_MAX or any(c.isspace() for c in pattern):
            raise ValidationError(
                f"A type pattern has at most {PATTERN_MAX} characters and no spaces.", field="types"
            )
        prefix = _literal_prefix(pattern)
        if not (prefix.startswith(ours) or ours.startswith(prefix)):
            raise ValidationError(
                f"'{pattern[:60]}' can never match: webhooks deliver kb's own events, "
                f"{ours}* (e.g. {ours}lesson.*).",
                field="types",
            )
        if pattern not in cleaned:
            cleaned.append(pattern)
    return cleaned


# --- subscriptions -------------------------------------------------------------------------


def create_subscription(
    db: Database, *, name: str, url: str, types: list[str] | None = None, owner: str | None = None
) -> tuple[Subscription, str]:
    """A new active subscription and its secret: show the secret once, it is not shown again.
    `owner` (who made it): the subscription never receives what the owner may not read."""
    secret = new_secret()
    subscription = Subscription(
        name=clean_name(name),
        url=clean_url(url),
        types=clean_types(types),
        secret=secret,
        is_active=True,
        owner=owner,
    )
    with db.write() as s:
        s.add(subscription)
    return subscription, secret


def list_subscriptions(db: Database) -> list[Subscription]:
    with db.read() as s:
        return list(s.scalars(select(Subscription).order_by(Subscription.id)))


def get_subscription(db: Database, subscription_id: int) -> Subscription | None:
    with db.read() as s:
        return s.get(Subscription, subscription_id)


def _get_for_update(s: Session, subscription_id: int) -> Subscription:
    subscription = s.get(Subscription, subscription_id, with_for_update=True)
    if subscription is None:
        raise NotFound(f"There is no subscription {subscription_id}.")
    return subscription


def update_subscription(
    db: Database,
    subscription_id: int,
    *,
    name: str | None = None,
    url: str | None = None,
    types: list[str] | None = None,
    is_active: bool | None = None,
) -> Subscription:
    """Change what is given (None = unchanged; `types=[]` = every kb event)."""
    changes: dict = {}
    if name is not None:
        changes["name"] = clean_name(name)
    if url is not None:
        changes["url"] = clean_url(url)
    if types is not None:
        changes["types"] = clean_types(types)
    if is_active is not None:
        if not isinstance(is_active, bool):
            raise ValidationError("`is_active` is true or false.", field="is_active")
        changes["is_active"] = is_active
    with db.write() as s:
        subscription = _get_for_update(s, subscription_id)
        if changes.get("is_active") is True:
            subscription.disabled_reason = None
        elif changes.get("is_active") is False and subscription.is_active:
            subscription.disabled_reason = f"Disabled by hand at {stamp(utcnow())}"
        for key, value in changes.items():
            setattr(subscription, key, value)
        if not subscription.is_active:
            cancel_pending(s, subscription)
        elif "url" in changes:
            s.execute(
                _pending_runs(subscription.id)
                .values(receiver=receiver_host(subscription.url))
                .execution_options(synchronize_session=False)
            )
    return subscription


def _pending_runs(subscription_id: int):  # noqa: ANN202
    return update(HandlerRun).where(
        HandlerRun.handler == f"{HANDLER}:{subscription_id}", HandlerRun.status == "pending"
    )


def cancel_pending(s: Session, subscription: Subscription) -> int:
    """End the waiting deliveries of a disabled subscription as `cancelled`, in the same
    transaction that disables it (an attempt under way ends so after it returns)."""
    reason = subscription.disabled_reason or "the subscription was disabled"
    return s.execute(
        _pending_runs(subscription.id)
        .values(
            status="cancelled",
            finished_at=utcnow(),
            lease_until=None,
            last_error=f"cancelled: {reason}"[:4000],
        )
        .execution_options(synchronize_session=False)
    ).rowcount


def deactivate_subscription(
    db: Database, subscription_id: int, *, reason: str | None = None
) -> Subscription:
    """Stop delivering: waiting deliveries are cancelled, and events meanwhile are not
    delivered later."""
    with db.write() as s:
        subscription = _get_for_update(s, subscription_id)
        if subscription.is_active:
            subscription.is_active = False
            subscription.disabled_reason = (reason or f"Disabled by hand at {stamp(utcnow())}")[
                :300
            ]
        cancel_pending(s, subscription)
    return subscription


def rotate_secret(db: Database, subscription_id: int) -> tuple[Subscription, str]:
    """A new secret, effective for the next attempt; the old one stops working at once."""
    secret = new_secret()
    with db.write() as s:
        subscription = _get_for_update(s, subscription_id)
        subscription.secret = secret
    return subscription, secret


@dataclass(frozen=True)
class Delivery:
    """One row of the delivery log: an HTTP attempt, its event and where its run stands."""

    id: int
    run_id: int
    subscription_id: int
    event_seq: int
    event_id: str
    event_type: str
    attempted_at: datetime
    status_code: int | None
    duration_ms: int | None
    error: str | None
    run_status: str
    #: when the delivery is tried again: on the latest attempt of a run waiting for its retry
    next_attempt_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _deliveries(s: Session, where, limit: int | None = None) -> list[Delivery]:  # noqa: ANN001
    a = DeliveryAttempt
    query = (
        select(a, Event.event_id, Event.type, HandlerRun.status, HandlerRun.next_attempt_at)
        .join(Event, Event.seq == a.event_seq)
        .join(HandlerRun, HandlerRun.id == a.run_id)
        .where(where)
        .order_by(a.id.desc())
        .limit(limit)
    )
    out: list[Delivery] = []
    runs: set[int] = set()
    for row, event_id, event_type, run_status, next_at in s.execute(query):
        # the retry time belongs to the run's latest attempt (the first one seen: newest first)
        waiting = run_status == "pending" and row.run_id not in runs
        runs.add(row.run_id)
        out.append(
            Delivery(
                id=row.id,
                run_id=row.run_id,
                subscription_id=row.subscription_id,
                event_seq=row.event_seq,
                event_id=event_id,
                event_type=event_type,
                attempted_at=as_utc(row.attempted_at),
                status_code=row.status_code,
                duration_ms=row.duration_ms,
                error=row.error,
                run_status=run_status,
                next_attempt_at=as_utc(next_at) if waiting else None,
            )
        )
    return out


def list_deliveries(db: Database, subscription_id: int, limit: int = 50) -> list[Delivery]:
    """The delivery log of one subscription, newest first."""
    with db.read() as s:
        return _deliveries(s, DeliveryAttempt.subscription_id == subscription_id, max(1, limit))


def last_deliveries(db: Database) -> dict[int, Delivery]:
    """The latest attempt of each subscription, by subscription id."""
    latest = select(func.max(DeliveryAttempt.id)).group_by(DeliveryAttempt.subscription_id)
    with db.read() as s:
        return {d.subscription_id: d for d in _deliveries(s, DeliveryAttempt.id.in_(latest))}


def run_counts(db: Database, subscription_id: int) -> dict[str, int]:
    """How many of the subscription's delivery runs are pending, running, done, dead,
    cancelled."""
    with db.read() as s:
        rows = s.execute(
            select(HandlerRun.status, func.count())
            .where(HandlerRun.handler == f"{HANDLER}:{subscription_id}")
            .group_by(HandlerRun.status)
        )
        return {status: count for status, count in rows}


# --- fan-out -------------------------------------------------------------------------------
