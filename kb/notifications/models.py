"""An inbox entry per user and event, and the e-mails sent (so a retried run sends no mail
twice to the same address)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kb.core.time import utcnow
from kb.db import Base, UTCDateTime
from kb.events.log.models import SeqType


class Notification(Base):
    """One message in one user's inbox, about one of kb's events."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("username", "event_seq", "kind", name="uq_notifications_user_event_kind"),
        # the header's unread count: WHERE username = ? AND read_at IS NULL
        Index("ix_notifications_username_read_at", "username", "read_at"),
    )

    id: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(40))
    #: the event's short type, e.g. lesson.published
    kind: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    #: the page to act on, a path such as /lessons/LL-2025-0007
    link: Mapped[str | None] = mapped_column(String(300))
    event_seq: Mapped[int] = mapped_column(ForeignKey("events.seq"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SentMail(Base):
    """An e-mail about an event went to an address: recorded after sending (at least once)."""

    __tablename__ = "sent_mails"
    __table_args__ = (UniqueConstraint("event_seq", "address", name="uq_sent_mails_event_address"),)

    id: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    event_seq: Mapped[int] = mapped_column(ForeignKey("events.seq"))
    #: lower-cased
    address: Mapped[str] = mapped_column(String(254))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
