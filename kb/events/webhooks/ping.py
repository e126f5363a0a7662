"""The test event: an admin asks kb to send one subscription a harmless event, to see that
the receiver gets it and checks its signature. It is an ordinary event of the log
(`org.pmo.kb.webhook.tested`) addressed to that subscription alone: the fan-out gives it to
no other subscription, whatever their types, and it goes through the normal signed delivery,
retries and delivery log."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kb.core.errors import Conflict, NotFound
from kb.db import Database
from kb.events.kinds.webhooks import WebhookTested
from kb.events.log.models import Event
from kb.events.log.services import append_event
from kb.events.webhooks.models import Subscription

TEST_TYPE = WebhookTested.full_type()
MESSAGE = "A test event from kb: deliveries to this URL work when you can read this."


def addressed_to(event: Event) -> int | None:
    """The one subscription a test event is for (None: any other event)."""
    if event.type != TEST_TYPE or not isinstance(event.data, dict):
        return None
    target = event.data.get("subscription")
    return target if isinstance(target, int) else None


def send_test_event(db: Database, subscription_id: int, *, actor: str) -> tuple[int, str]:
    """Append a test event for one active subscription; (its sequence number, its id). The
    worker delivers it like any other event."""
    with db.write() as s:
        subscription = _active(s, subscription_id)
        tested = WebhookTested(
            subscription=subscription.id, name=subscription.name, sent_by=actor, message=MESSAGE
        )
        event = append_event(s, tested)
        s.flush()
        return event.seq, event.event_id


def _active(s: Session, subscription_id: int) -> Subscription:
    subscription = s.get(Subscription, subscription_id)
    if subscription is None:
        raise NotFound(f"There is no subscription {subscription_id}.")
    if not subscription.is_active:
        raise Conflict("This subscription is disabled: activate it first, then send a test event.")
    return subscription
