"""The model register's history: one row per `org.pmo.process.changed` event."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kb.core.time import utcnow
from kb.db import Base, UTCDateTime
from kb.events.log.models import SeqType


class ProcessChange(Base):
    __tablename__ = "process_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: the repository's processId, upper-cased (kb ids are upper-case: PM-0007)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    #: the process version after the change, as text ("2.2")
    version: Mapped[str] = mapped_column(String(64))
    #: created | updated | retired
    change_type: Mapped[str] = mapped_column(String(16))
    effective_from: Mapped[date | None] = mapped_column(Date)
    changed_by: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    #: the event it records: a replayed event finds its row and does nothing
    event_seq: Mapped[int] = mapped_column(SeqType, unique=True)
    #: the kb process model it matched, None when kb has none
    document_id: Mapped[str | None] = mapped_column(String(32))
    #: the lessons flagged for revalidation
    flagged_lessons: Mapped[list] = mapped_column(JSON, default=list)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
