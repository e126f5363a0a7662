"""A user's inbox (kb.notifications)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from kb.api.models.common import Answer, Page, Paging, Timestamp
from kb.core.attributes import alike
from kb.notifications.models import Notification
from kb.params import FLAGS


class InboxItem(Answer):
    id: int
    kind: str = Field(description="the event's type after org.pmo.kb., e.g. lesson.published")
    title: str
    body: str
    link: str | None = Field(description="the page to act on, e.g. /lessons/LL-2025-0007")
    event_seq: int
    created_at: Timestamp
    read_at: Timestamp | None
    is_read: bool

    @classmethod
    def of(cls, n: Notification) -> InboxItem:
        names = "id kind title body link event_seq created_at read_at"
        return cls(**alike(n, names, is_read=n.read_at is not None))


class Inbox(Page):
    unread: int
    items: list[InboxItem]


class InboxQuery(Paging):
    unread: Literal[tuple(FLAGS)] = Field("0", description="1: only the unread ones")  # type: ignore[valid-type]


class Marked(Answer):
    marked: int = Field(description="how many were unread")
    unread: int
