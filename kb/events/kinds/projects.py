"""Events about a project: its register entry, its lessons review, its briefings."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kb.events.kinds.base import KbEvent, kind


class ProjectEvent(KbEvent):
    SUBJECT = "projects/{key}"

    key: str = Field(description="the project key, e.g. `ATLAS`")
    name: str

    @property
    def partition_key(self) -> str | None:
        return self.key


@kind
class ProjectRegistered(ProjectEvent):
    """An audit (`org.pmo.audit.completed`) names a project kb did not know, or `kb import
    --create-projects` registers one an imported document names: kb registers it."""

    TYPE = "project.registered"


class ProjectSaved(ProjectEvent):
    status: Literal["proposed", "active", "closed", "cancelled"]


@kind
class ProjectCreated(ProjectSaved):
    """A project was created (a project file imported, the register keeping up with the
    project tools' events, or a curator registering it on the projects page)."""

    TYPE = "project.created"


@kind
class ProjectUpdated(ProjectSaved):
    """A project changed (a project file imported, or the register keeping up with the
    project tools' events)."""

    TYPE = "project.updated"


class ReviewEvent(KbEvent):
    SUBJECT = "reviews/{id}"

    id: int = Field(description="the review's number")
    project: str
    due_on: date
    facilitator: str | None = Field(description="an e-mail address or a kb username")


@kind
class ReviewOpened(ReviewEvent):
    """A closing project's lessons review is opened (once per project), or an audit's review
    (once per audit, when the project had no open review)."""

    TYPE = "review.opened"


@kind
class ReviewOverdue(ReviewEvent):
    """An open review is past its due date: once at level 1 (`notify: project_manager`, the
    day after `due_on`), once at level 2 (`notify: pmo`, more than 14 days after `due_on`)."""

    TYPE = "review.overdue"

    level: Literal[1, 2]
    notify: Literal["project_manager", "pmo"]


@kind
class ReviewCompleted(ReviewEvent):
    """The review is completed (its facilitator or a curator submitted it)."""

    TYPE = "review.completed"

    completed_by: str
    lessons: list[str] = Field(
        description="the draft lessons submitted with it (each also emits `lesson.submitted`)"
    )


class RecommendedLesson(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    reason: str = Field(description="why it was chosen")


@kind
class LessonsRecommended(KbEvent):
    """A project started or passed a stage gate: kb briefed its project manager with at least
    one lesson (once per inbound event; a briefing with none is recorded but not announced)."""

    TYPE = "lessons.recommended"
    SUBJECT = "projects/{project}"

    briefing: int = Field(description="the briefing's number")
    project: str
    trigger: str = Field(description="`started` or `gate:<gate id>`")
    recipient: str | None = Field(
        description="the manager's kb username (their e-mail address when kb has no such user)"
    )
    lessons: list[RecommendedLesson] = Field(
        description="at most 5, only lessons that are internal or that the recipient may read"
    )
