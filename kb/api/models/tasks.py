"""The PMO's tasks (kb.processes.tasks)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from kb.api.models.common import Answer, Body, Query, Timestamp
from kb.tasks.services import KIND_PATTERN, MAX_NOTE, STATUSES


class Task(Answer):
    id: int
    kind: str = Field(description="confirm_bau_owner, verify_lesson, revalidate_lesson, ...")
    subject: str = Field(
        description="what it is about, e.g. lessons/LL-2025-0007 or processes/PM-0005"
    )
    assignee: str | None
    status: Literal[STATUSES]  # type: ignore[valid-type]
    created_at: Timestamp
    details: dict[str, Any] = Field(
        description="id, title, project, and what the kind needs "
        "(process_id, version, audit, owner...)"
    )
    done_at: Timestamp | None
    done_by: str | None
    note: str | None

    @classmethod
    def of(cls, task: Any) -> Task:
        return cls.model_validate(task).model_copy(update={"details": dict(task.details or {})})


class TaskList(Answer):
    tasks: list[Task]


class TaskQuery(Query):
    kind: str | None = Field(None, pattern=KIND_PATTERN, description="one kind only")
    status: Literal["open", "done", "all"] = "open"


class TaskDone(Body):
    note: str | None = Field(None, max_length=MAX_NOTE)
