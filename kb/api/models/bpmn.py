"""BPMN 2.0 in and out of process models (kb.processes.exchange)."""

from __future__ import annotations

from pydantic import Field

from kb.api.models.common import Answer, Query


class BpmnImportQuery(Query):
    model: str | None = Field(
        None,
        pattern=r"^[A-Za-z]{2}-\d{4,6}$",
        description="the process model whose steps and roles the file replaces (e.g. PM-0005); "
        "without it a new draft model is created",
    )


class BpmnImported(Answer):
    id: str = Field(description="the process model created or changed")
    title: str
    created: bool = Field(description="true: a new model; false: a new revision of `model`")
    version: int = Field(description="the model's revision number after the import")
    steps: int = Field(description="how many steps kb read from the file")
    report: list[str] = Field(
        description="what kb could not represent (message flows, boundary events, a "
        "sub-process's inside, ...) and what breaks the steps convention; empty when all was kept"
    )
