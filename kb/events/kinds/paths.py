"""Events about onboarding paths: curated (created, updated, retired), taken or assigned, a
step acknowledged ("I've read this"), a path completed. A person's step openings are private
state: recorded, audited, not announced."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from kb.events.kinds.base import KbEvent, kind


class PathSaved(KbEvent):
    """A curator changed a path."""

    SUBJECT = "paths/{id}"

    id: str = Field(description="the path's id, e.g. `LP-0001`")
    title: str
    audience: str = Field(description="the role it is written for; empty when none")
    status: Literal["active", "retired"]
    steps: int = Field(description="how many steps it has")
    minutes: int = Field(description="the estimated minutes of all its steps")
    actor: str


@kind
class PathCreated(PathSaved):
    """A curator created a path (or the import did)."""

    TYPE = "path.created"


@kind
class PathUpdated(PathSaved):
    """A curator changed a path: its title, audience, summary or steps (added, removed,
    reordered)."""

    TYPE = "path.updated"


@kind
class PathRetired(PathSaved):
    """A curator retired a path: it takes nobody new; progress on it is kept."""

    TYPE = "path.retired"


class PathProgress(KbEvent):
    """A person's progress on a path."""

    SUBJECT = "paths/{id}"

    id: str = Field(description="the path's id")
    title: str = Field(description="the path's title")
    person: str = Field(description="the username of the person on the path")
    assigned_by: str | None = Field(description="who assigned it; null: taken by choice")
    actor: str


@kind
class PathStarted(PathProgress):
    """A person took a path, or was assigned one."""

    TYPE = "path.started"


@kind
class PathStepAcknowledged(PathProgress):
    """A person said "I've read this" for one step (again, after its document changed)."""

    TYPE = "path.step.acknowledged"

    step: int = Field(description="the step's id (it keeps it when the path is reordered)")
    target: str = Field(description="the document id or the address the step points to")
    version: int | None = Field(description="the document's revision read; null for a link")


@kind
class PathCompleted(PathProgress):
    """A person acknowledged every step of a path."""

    TYPE = "path.completed"
