"""The search log and the daily page views: no user, no session, no address is stored."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kb.core.time import utcnow
from kb.db import Base, UTCDateTime


class SearchRecord(Base):
    """One search someone made: what was asked, how many results it found, and when."""

    __tablename__ = "search_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: the query as typed, trimmed, at most QUERY_LIMIT characters
    query: Mapped[str] = mapped_column(String(500))
    results: Mapped[int] = mapped_column(Integer)
    searched_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class PageView(Base):
    """How often a document's page was opened on one UTC day (a counter per document and day)."""

    __tablename__ = "page_views"

    document_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    views: Mapped[int] = mapped_column(Integer, default=0)
