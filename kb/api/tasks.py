"""The PMO's task list: GET /api/tasks (?kind=, ?status=), POST /api/tasks/<id>/done."""

from __future__ import annotations

from kb.access_rules import CURATOR, needs
from kb.api import bp
from kb.api.models.tasks import Task, TaskDone, TaskList, TaskQuery
from kb.api.spec import contract, parsed_body, parsed_query
from kb.context import current
from kb.security import viewer
from kb.tasks import services as tasks


@bp.get("/tasks")
@contract(ok=(200, TaskList), query=TaskQuery)
@needs(CURATOR, what="see the PMO's tasks")
def list_tasks():
    """The PMO's tasks, oldest first (curators)"""
    query = parsed_query()
    status = None if query.status == "all" else query.status
    return TaskList(
        tasks=[
            Task.of(t)
            for t in tasks.list_tasks(current().db, kind=query.kind or None, status=status)
        ]
    )


@bp.post("/tasks/<int:task_id>/done")
@contract(ok=(200, Task), json=TaskDone, errors=(404,), HTTP_409="Done already")
@needs(CURATOR, what="mark the PMO's tasks done")
def complete_task(task_id: int):
    """Mark a task done, with an optional note (curators); records who and when"""
    note = parsed_body().note
    return Task.of(tasks.complete_task(current().db, task_id, viewer=viewer(), note=note))
