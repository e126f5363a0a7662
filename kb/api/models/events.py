"""Events: CloudEvents that project tools send, and kb's event log with its handler runs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kb.api.models.common import Answer, Query, Timestamp
from kb.core.attributes import alike
from kb.events.jobs import admin
from kb.params import SEQ_MAX


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 event in structured mode (see docs/events.md)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"additionalProperties": {"type": ["string", "boolean", "integer"]}},
    )
    id: str
    source: str = Field(json_schema_extra={"format": "uri-reference"})
    specversion: Literal["1.0"]
    type: str = Field(examples=["org.pmo.project.closed"])
    subject: str = None
    time: str = Field(None, json_schema_extra={"format": "date-time"})
    datacontenttype: str = None
    dataschema: str = Field(None, json_schema_extra={"format": "uri"})
    partitionkey: str = None
    data: Any = None
    data_base64: str = None


class Stored(Answer):
    id: str
    source: str
    seq: int
    duplicate: bool
    ignored: bool = Field(description="a type kb does not know: stored, acted on by nobody")


class Accepted(Answer):
    accepted: list[Stored] = Field(description="in the order sent, duplicates included")


class Run(Answer):
    handler: str
    status: str
    attempts: int
    next_attempt_at: Timestamp | None = Field(description="while pending")
    last_error: str | None


class Event(Answer):
    seq: int
    id: str
    source: str
    type: str
    subject: str | None
    time: Timestamp
    data: Any
    status: Literal[admin.STATUSES]  # type: ignore[valid-type]
    runs: list[Run]

    @classmethod
    def of(cls, view: admin.EventView) -> Event:
        e = view.event
        runs = [
            Run(
                **alike(r, "handler status attempts last_error"),
                next_attempt_at=r.next_attempt_at if r.status == "pending" else None,
            )
            for r in view.runs
        ]
        return cls(
            **alike(e, "seq source type subject time data"),
            id=e.event_id,
            status=view.status,
            runs=runs,
        )


class EventList(Answer):
    events: list[Event]


class EventQuery(Query):
    type: str | None = None
    status: Literal[admin.STATUSES] | None = None  # type: ignore[valid-type]
    before: int = Field(0, ge=0, le=SEQ_MAX, description="page backwards: events with a lower seq")
    limit: int = Field(50, ge=1, le=500)
