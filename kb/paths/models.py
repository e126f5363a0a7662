"""A path and its steps; who is on it (an enrolment) and how far they got (step progress)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.core.time import utcnow
from kb.db import Base, UTCDateTime

STATUSES = ("active", "retired")


class LearningPath(Base):
    """An ordered list of steps to read, for an audience (a role such as "project
    administrator"). Curators create, reorder and retire paths; a retired path takes nobody
    new and keeps the progress of those on it."""

    __tablename__ = "paths"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # LP-0001
    title: Mapped[str] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(String(120), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    steps: Mapped[list[PathStep]] = relationship(
        back_populates="path",
        order_by="PathStep.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def minutes(self) -> int:
        return sum(step.minutes for step in self.steps)


class PathStep(Base):
    """One step: a document of kb (`target` is its id) or a page elsewhere (an https
    address). A step keeps its id when the path is reordered, so progress follows it."""

    __tablename__ = "path_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    path_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("paths.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(String(500))
    minutes: Mapped[int] = mapped_column(Integer)

    path: Mapped[LearningPath] = relationship(back_populates="steps")

    @property
    def is_link(self) -> bool:
        return self.target.startswith(("https://", "http://"))


class Enrolment(Base):
    """A person on a path: taken by choice (`assigned_by` None) or assigned by a curator."""

    __tablename__ = "path_enrolments"
    __table_args__ = (UniqueConstraint("path_id", "user_id", name="uq_path_enrolments_person"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    path_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("paths.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    assigned_by: Mapped[str | None] = mapped_column(String(40), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    progress: Mapped[list[StepProgress]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class StepProgress(Base):
    """How far a person got with one step: opened, and acknowledged ("I've read this") at a
    revision of its document — a later revision flags the step for re-reading."""

    __tablename__ = "path_progress"
    __table_args__ = (UniqueConstraint("enrolment_id", "step_id", name="uq_path_progress_step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enrolment_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("path_enrolments.id", ondelete="CASCADE"), index=True
    )
    step_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("path_steps.id", ondelete="CASCADE"), index=True
    )
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the document's revision when acknowledged (None: an external page)
    acknowledged_version: Mapped[int | None] = mapped_column(Integer)
