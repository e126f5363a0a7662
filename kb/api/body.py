"""The one way a route reads its request body: JSON (limits: kb.core.jsonbody), or a file
sent as the body (`read_file`: a BPMN import).

Flask's `request.get_json()` accepts NaN, raises RecursionError on deep nesting and lets
`"\\ud800"` through; `get_json(silent=True)` turns every problem into "no body". Here an
empty body is None, anything else is parsed strictly or refused with a message saying why.
"""

from __future__ import annotations

from typing import Any

from flask import Request

from kb.core.errors import TooLarge
from kb.core.jsonbody import MAX_BYTES, MAX_DEPTH, InvalidJSON, parse_json

_CHUNK = 64 * 1024
# where the raw body and the parsed value are kept for the rest of the request
_RAW, _KEPT = "kb.body.raw", "kb.body.json"


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or mimetype.endswith("+json")


def _read(request: Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(f"The body is {request.content_length:,} bytes; at most {limit:,}.")
    chunks, size = [], 0
    while True:  # count while reading: Content-Length may be absent (chunked) or wrong
        chunk = request.stream.read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"The body is larger than {limit:,} bytes.")


def read_file(request: Request, limit: int) -> bytes:
    """A body that is a file, read `limit` bytes at most (TooLarge beyond)."""
    return _read(request, limit)


def read_json(request: Request, *, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES) -> Any:
    """The body's JSON value, None when there is no body; InvalidJSON (400) or TooLarge (413).

    The API reads every body once before its view runs (kb.api `_read_body`), so a hostile one
    is refused before any lookup; the value is kept for the view's own call."""
    limits = (max_depth, max_bytes)
    kept = request.environ.get(_KEPT)
    if kept is not None and kept[0] == limits:
        return kept[1]
    raw = request.environ[_RAW] if _RAW in request.environ else _read(request, max_bytes)
    request.environ[_RAW] = raw
    if not raw.strip():
        value = None
    elif not _is_json(request.mimetype):
        raise InvalidJSON(
            f"Send JSON with Content-Type: application/json (not {request.mimetype or 'none'})."
        )
    else:
        value = parse_json(raw, max_depth=max_depth, max_bytes=max_bytes)
    request.environ[_KEPT] = (limits, value)
    return value


def read_object(request: Request, example: str = "") -> dict:
    """The body as a JSON object (the usual case), or a 400 that says so."""
    body = read_json(request)
    if not isinstance(body, dict):
        hint = f", e.g. {example}" if example else ""
        raise InvalidJSON(f"Send a JSON object (Content-Type: application/json){hint}.")
    return body


def document_errors(paths: dict, error_schema: dict) -> None:
    """For the OpenAPI document: every POST/PUT/PATCH body is read here before the route runs,
    so each operation may answer 400 (not JSON, too deep, NaN, control characters...) and 413
    (over MAX_BYTES)."""
    for operations in paths.values():
        for method, operation in operations.items():
            if method in ("post", "put", "patch"):
                responses = operation.setdefault("responses", {})
                for code, description in (("400", "Invalid input"), ("413", "Too large")):
                    responses.setdefault(
                        code,
                        {
                            "description": description,
                            "content": {"application/json": {"schema": error_schema}},
                        },
                    )
