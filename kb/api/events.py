"""POST /api/events: CloudEvents from project tools (binary, structured or batch mode).

The order of the checks: size (413) and media type (415) cost nothing; then the body is read
(at most 256 KiB) and the sender authenticated on those raw bytes (401); then the events are
validated (400) and stored in one transaction (202). Handlers run later, in the worker.
"""

from __future__ import annotations

from flask import current_app, request

from kb.api import bp, openapi
from kb.context import current
from kb.core.errors import TooLarge
from kb.events.inbound import cloudevents, ingest, producers

#: a request body may be at most this big (the app-wide MAX_CONTENT_LENGTH is larger)
MAX_BODY = 256 * 1024


def _too_large() -> TooLarge:
    return TooLarge(f"The body is larger than {MAX_BODY // 1024} KiB; send smaller batches.")


def _read_body(limit: int) -> bytes:
    chunks, size = [], 0
    while True:  # count while reading: Content-Length may be absent (chunked) or wrong
        chunk = request.stream.read(min(64 * 1024, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise _too_large()
    return b"".join(chunks)


@bp.post("/events")
def post_events():
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise _too_large()
    headers = {name.lower(): value for name, value in request.headers.items()}
    mode = cloudevents.content_mode(headers.get("content-type"), headers)
    body = _read_body(MAX_BODY)
    db = current().db
    producer = producers.authenticate(db, headers, body)
    events = cloudevents.parse_request(mode, headers.items(), body)
    accepted = ingest.ingest(
        db, events, producer=producer, prefix=current_app.config["KB_EVENT_TYPE_PREFIX"]
    )
    return {"accepted": [a.to_dict() for a in accepted]}, 202


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": openapi.ERROR}}}


_EVENT = {
    "type": "object",
    "required": ["id", "source", "specversion", "type"],
    "properties": {
        "id": {"type": "string"},
        "source": {"type": "string", "format": "uri-reference"},
        "specversion": {"const": "1.0"},
        "type": {"type": "string", "examples": ["org.pmo.project.closed"]},
        "subject": {"type": "string"},
        "time": {"type": "string", "format": "date-time"},
        "datacontenttype": {"type": "string"},
        "dataschema": {"type": "string", "format": "uri"},
        "partitionkey": {"type": "string"},
        "data": {},
        "data_base64": {"type": "string"},
    },
    "additionalProperties": {"type": ["string", "boolean", "integer"]},
}

openapi.EXTRA_PATHS.setdefault("/api/events", {})["post"] = {
    "summary": "Receive CloudEvents from project tools (see docs/events.md)",
    "description": "CloudEvents 1.0 over HTTP: binary mode (ce-* headers, the body is the data), "
    "structured mode (application/cloudevents+json) or a batch "
    "(application/cloudevents-batch+json, all or nothing). Authenticate with a Standard "
    "Webhooks signature (webhook-id, webhook-timestamp, webhook-signature) or "
    "`Authorization: Bearer <token>`. At most 256 KiB a request and 64 KiB an event. "
    "Duplicates (same source and id) are answered 202 and stored once.",
    "requestBody": {
        "required": True,
        "content": {
            "application/cloudevents+json": {"schema": _EVENT},
            "application/cloudevents-batch+json": {"schema": {"type": "array", "items": _EVENT}},
            "application/json": {"schema": {"description": "binary mode: the event's data"}},
        },
    },
    "responses": {
        "202": {
            "description": "Stored (duplicates included), in order",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "accepted": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "id": {"type": "string"},
                                        "source": {"type": "string"},
                                        "seq": {"type": "integer"},
                                        "duplicate": {"type": "boolean"},
                                        "ignored": {"type": "boolean"},
                                    },
                                },
                            }
                        },
                    }
                }
            },
        },
        "400": _error("An invalid event: the message names the event, attribute or field"),
        "401": _error("Signature or token missing, stale or wrong"),
        "413": _error("Body over 256 KiB, or an event over 64 KiB"),
        "415": _error("Not a CloudEvents content type"),
    },
}
