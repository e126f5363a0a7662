"""POST /api/events: CloudEvents from project tools (binary, structured or batch mode).

The order of the checks: size (413) and media type (415) cost nothing; then the body is read
(at most 256 KiB) and the sender authenticated on those raw bytes (401); then the events are
validated (400) and stored in one transaction (202). Handlers run later, in the worker.
"""

from __future__ import annotations

from flask import current_app, request

from kb.access_rules import PRODUCER, needs
from kb.api import bp
from kb.api.models.events import Accepted, CloudEvent, Stored
from kb.api.spec import contract
from kb.context import current
from kb.core.errors import TooLarge
from kb.events.inbound import cloudevents, ingest, producers

#: a request body may be at most this big (the app-wide MAX_CONTENT_LENGTH is larger)
MAX_BODY = 256 * 1024
#: what the body may be (read here, not by a model: the sender's bytes are signed)
EVENT_MEDIA = {
    "application/cloudevents+json": CloudEvent,
    "application/cloudevents-batch+json": list[CloudEvent],
    "application/json": None,  # binary mode: the event's data, as the producer sends it
}


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
@contract(
    ok=(202, Accepted),
    media=EVENT_MEDIA,
    HTTP_400="An invalid event: the message names the event, attribute or field",
    HTTP_401="Signature or token missing, stale or wrong",
    HTTP_413=f"Body over {MAX_BODY // 1024} KiB, or an event over "
    f"{cloudevents.MAX_EVENT_BYTES // 1024} KiB",
    HTTP_415="Not a CloudEvents content type",
)
@needs(PRODUCER)
def post_events():
    """Receive CloudEvents from project tools (see docs/events.md)

    CloudEvents 1.0 over HTTP: binary mode (ce-* headers, the body is the data), structured
    mode (application/cloudevents+json) or a batch (application/cloudevents-batch+json, all or
    nothing). Authenticate with a Standard Webhooks signature (webhook-id, webhook-timestamp,
    webhook-signature) or `Authorization: Bearer <token>`. At most 256 KiB a request and 64 KiB
    an event. Duplicates (same source and id) are answered 202 and stored once.
    """
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
    return Accepted(accepted=[Stored(**a.to_dict()) for a in accepted]), 202
