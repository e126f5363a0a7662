"""Events about kb's outbound webhooks themselves."""

from __future__ import annotations

from pydantic import Field

from kb.events.kinds.base import KbEvent, kind


@kind
class WebhookTested(KbEvent):
    """An admin sent one subscription a test event ("Send a test event" on its page, or
    `POST /api/subscriptions/<id>/test`). It reaches that subscription alone, whatever the
    types it asked for, through the normal signed delivery."""

    TYPE = "webhook.tested"
    SUBJECT = "subscriptions/{subscription}"

    subscription: int = Field(description="the subscription the test is addressed to")
    name: str = Field(description="the subscription's name")
    sent_by: str = Field(description="who asked for the test")
    message: str
