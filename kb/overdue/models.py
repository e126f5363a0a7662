"""The ledger of owners told that something is overdue: one row per thing and due date."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kb.core.time import utcnow
from kb.db import Base, UTCDateTime


class OverdueNotice(Base):
    """The owner of `subject` (actions/12, processes/PM-0007) was told it is overdue for
    `due_on`. The unique key makes the telling happen once, however many workers sweep; a
    new due date (the action moved, the model reviewed) is a new row, so a new notice."""

    __tablename__ = "overdue_notices"
    __table_args__ = (UniqueConstraint("subject", "due_on", name="uq_overdue_notices_subject_due"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date)
    notified_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
