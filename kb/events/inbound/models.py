"""Producers: the project tools allowed to send events (the log names the one that sent each)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kb.core.time import utcnow
from kb.db import Base, UTCDateTime


class Producer(Base):
    """A project tool allowed to send events: signs with `secret` or sends `token`."""

    __tablename__ = "producers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    #: whsec_... (the HMAC key must be kept to verify signatures)
    secret: Mapped[str] = mapped_column(String(200))
    #: sha256 hex of the bearer token (the token itself is shown once)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
