"""/api/subscriptions: outbound webhooks and their delivery log (admins).

The secret is in the answers of create and rotate only.
"""

from __future__ import annotations

from flask import url_for

from kb.access_rules import ADMIN, needs
from kb.api import bp
from kb.api.models.subscriptions import (
    Delivery,
    DeliveryList,
    DeliveryQuery,
    NewSubscription,
    SubscriptionAnswer,
    SubscriptionChange,
    SubscriptionList,
    TestSent,
    WithSecret,
)
from kb.api.spec import contract, parsed_body, parsed_query
from kb.context import current
from kb.core.errors import NotFound
from kb.events.webhooks import ping, subscriptions
from kb.events.webhooks.models import Subscription
from kb.security import viewer


def _get_or_404(subscription_id: int) -> Subscription:
    sub = subscriptions.get_subscription(current().db, subscription_id)
    if sub is None:
        raise NotFound(f"There is no subscription {subscription_id}.")
    return sub


@bp.get("/subscriptions")
@contract(ok=(200, SubscriptionList))
@needs(ADMIN, what="manage webhooks")
def list_subscriptions():
    """Outbound webhook subscriptions with their latest delivery attempt"""
    db = current().db
    last = subscriptions.last_deliveries(db)
    found = subscriptions.list_subscriptions(db)
    return SubscriptionList(subscriptions=[SubscriptionAnswer.of(s, last.get(s.id)) for s in found])


@bp.post("/subscriptions")
@contract(ok=(201, WithSecret), json=NewSubscription)
@needs(ADMIN, what="manage webhooks")
def create_subscription():
    """Subscribe a URL to kb's events; the answer holds the secret, once"""
    body = parsed_body()
    sub, secret = subscriptions.create_subscription(
        current().db, name=body.name, url=body.url, types=body.types, owner=viewer().username
    )
    location = url_for("api.get_subscription", subscription_id=sub.id)
    return WithSecret.of(sub, secret=secret), 201, {"Location": location}


@bp.get("/subscriptions/<int:subscription_id>")
@contract(ok=(200, SubscriptionAnswer), errors=(404,))
@needs(ADMIN, what="manage webhooks")
def get_subscription(subscription_id: int):
    """One subscription (never its secret)"""
    sub = _get_or_404(subscription_id)
    last = subscriptions.list_deliveries(current().db, sub.id, limit=1)
    return SubscriptionAnswer.of(sub, last[0] if last else None)


@bp.put("/subscriptions/<int:subscription_id>")
@contract(ok=(200, SubscriptionAnswer), json=SubscriptionChange, errors=(404,))
@needs(ADMIN, what="manage webhooks")
def update_subscription(subscription_id: int):
    """Change name, url, types or is_active (fields left out stay as they are)"""
    changes = parsed_body().model_dump(exclude_unset=True)
    if "types" in changes and changes["types"] is None:
        changes["types"] = []  # null: every kb event, like []
    sub = subscriptions.update_subscription(current().db, subscription_id, **changes)
    return SubscriptionAnswer.of(sub)


@bp.post("/subscriptions/<int:subscription_id>/rotate")
@contract(ok=(200, WithSecret), errors=(404,))
@needs(ADMIN, what="manage webhooks")
def rotate_subscription_secret(subscription_id: int):
    """A new secret (the old one stops working at once); shown in this answer only"""
    sub, secret = subscriptions.rotate_secret(current().db, subscription_id)
    return WithSecret.of(sub, secret=secret)


@bp.post("/subscriptions/<int:subscription_id>/test")
@contract(ok=(202, TestSent), errors=(404,), HTTP_409="The subscription is disabled")
@needs(ADMIN, what="manage webhooks")
def test_subscription(subscription_id: int):
    """Send this subscription alone a test event through the normal signed delivery

    The event's type is `org.pmo.kb.webhook.tested`; it goes through the delivery log and
    retries like any other event, to no other subscription.
    """
    seq, event_id = ping.send_test_event(current().db, subscription_id, actor=viewer().actor)
    return TestSent(event_seq=seq, event_id=event_id, type=ping.TEST_TYPE), 202


@bp.get("/subscriptions/<int:subscription_id>/deliveries")
@contract(ok=(200, DeliveryList), query=DeliveryQuery, errors=(404,))
@needs(ADMIN, what="manage webhooks")
def list_subscription_deliveries(subscription_id: int):
    """The delivery log: every HTTP attempt, newest first"""
    sub = _get_or_404(subscription_id)
    found = subscriptions.list_deliveries(current().db, sub.id, limit=parsed_query().limit)
    return DeliveryList(deliveries=[Delivery.of(d) for d in found])
