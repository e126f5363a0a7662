"""Outbound webhook subscriptions and their delivery log."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import ConfigDict, Field

from kb.api.models.common import Answer, Body, Query, Timestamp
from kb.core.attributes import alike
from kb.events.webhooks import delivery as webhooks
from kb.events.webhooks import subscriptions
from kb.events.webhooks.models import Subscription

DELIVERIES_MAX = 500
#: stated in the document; kb.events.webhooks checks it and says what is wrong
URL_FORM = r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.-]+(:[0-9]{1,4})?(/[!-?A-~]*)?$"
TYPE_FORM = r"^org[.]pmo[.]kb[.][A-Za-z0-9.*_-]*$"


class Delivery(Answer):
    id: int
    run_id: int
    event_seq: int
    event_id: str
    event_type: str
    attempted_at: Timestamp
    status_code: int | None
    duration_ms: int | None
    error: str | None
    ok: bool
    run_status: Literal["pending", "running", "done", "dead", "cancelled"]
    next_attempt_at: Timestamp | None = Field(
        description="when a failed delivery is tried again (on its latest attempt)"
    )

    @classmethod
    def of(cls, d: subscriptions.Delivery) -> Delivery:
        return cls.model_validate(d)


class SubscriptionAnswer(Answer):
    id: int
    name: str
    url: str
    types: list[str] = Field(
        description="fnmatch patterns such as org.pmo.kb.lesson.*; empty = every kb event"
    )
    is_active: bool
    disabled_reason: str | None
    created_at: Timestamp
    last_delivery: Delivery | None

    @classmethod
    def of(cls, sub: Subscription, last: subscriptions.Delivery | None = None, **more):  # noqa: ANN206
        return cls(
            **alike(sub, "id name url is_active disabled_reason created_at"),
            types=list(sub.types or []),
            last_delivery=Delivery.of(last) if last else None,
            **more,
        )


class WithSecret(SubscriptionAnswer):
    secret: str = Field(description="whsec_...: shown in this answer only")


class TestSent(Answer):
    event_seq: int
    event_id: str
    type: str = Field(description="org.pmo.kb.webhook.tested")


class SubscriptionList(Answer):
    subscriptions: list[SubscriptionAnswer]


class DeliveryList(Answer):
    deliveries: list[Delivery]


class SubscriptionChange(Body):
    """Fields left out stay as they are."""

    model_config = ConfigDict(strict=True, extra="forbid")
    hints: ClassVar[dict[str, str]] = {"secret": "use POST /api/subscriptions/<id>/rotate"}
    name: str = Field(None, max_length=webhooks.NAME_MAX, pattern=r"\S")
    url: str = Field(
        None,
        max_length=webhooks.URL_MAX,
        description="http(s), no credentials",
        json_schema_extra={"pattern": URL_FORM},
    )
    types: list[str] | None = Field(
        None,
        max_length=webhooks.PATTERNS_MAX,
        description="null or empty: every kb event",
        json_schema_extra={
            "items": {"type": "string", "maxLength": webhooks.PATTERN_MAX, "pattern": TYPE_FORM}
        },
    )
    is_active: bool = Field(None)


class NewSubscription(SubscriptionChange):
    name: str = Field(max_length=webhooks.NAME_MAX, pattern=r"\S")
    url: str = Field(
        max_length=webhooks.URL_MAX,
        description="http(s), no credentials",
        json_schema_extra={"pattern": URL_FORM},
    )


class DeliveryQuery(Query):
    limit: int = Field(50, ge=1, le=DELIVERIES_MAX)
