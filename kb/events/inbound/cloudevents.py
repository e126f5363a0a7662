"""CloudEvents 1.0 over HTTP with the JSON event format: binary, structured and batch mode.

Parsed and validated here by hand, not with the official SDK: as a parser it invents a missing
`id`, `time` and `specversion`, guesses the mode from `ce-` headers and cannot read batches
(docs/events.md). Every problem is a `KbError` whose message names the event (in a batch), the
attribute or the field, so that the sender can fix it; nothing here ever lets malformed input
through to the database (where it would become a 500).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote_to_bytes

from kb.core.time import parse_timestamp
from kb.events.inbound import jsonmembers
from kb.events.inbound.data import check_data
from kb.events.inbound.errors import EventTooLarge, InvalidEvent, UnsupportedMediaType

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
#: an event, measured as compact JSON, may be at most this big (events.md: "< 64 KiB")
MAX_EVENT_BYTES = 64 * 1024
#: the database columns' widths
MAX_LENGTH = {"id": 200, "source": 200, "type": 200, "subject": 200, "partitionkey": 64}

REQUIRED = ("id", "source", "specversion", "type")
STRING_ATTRIBUTES = REQUIRED + ("subject", "time", "datacontenttype", "dataschema")
ATTRIBUTE_NAME = re.compile(r"[a-z0-9]{1,20}")
#: names known to be well formed (no need to match them against ATTRIBUTE_NAME)
_WELL_FORMED = frozenset(STRING_ATTRIBUTES)
_SPACE = re.compile(r"\s")
MEDIA_TYPE = re.compile(r"[A-Za-z0-9][\w!#$&^.+-]*/[A-Za-z0-9][\w!#$&^.+-]*\s*(;.*)?", re.S)
ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
# CloudEvents "String": no control characters, surrogates or noncharacters
_NONCHARACTERS = "".join(
    f"{chr(p * 0x10000 + 0xFFFE)}{chr(p * 0x10000 + 0xFFFF)}" for p in range(17)
)
BAD_STRING = re.compile(f"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef{_NONCHARACTERS}]")


@dataclass
class CloudEvent:
    """One received event, validated. `attributes` holds the optional and extension
    attributes (datacontenttype, dataschema, partitionkey, ...) and, for binary data,
    `data_base64` (as in the JSON event format); `data` is any JSON value or None."""

    id: str
    source: str
    type: str
    time: datetime | None
    subject: str | None
    data: Any
    attributes: dict = field(default_factory=dict)
    #: where it was in the request: "event 3: " in a batch, "" otherwise (for messages)
    where: str = ""
    #: `data` as compact JSON, as check_data serialised it (stored as it is)
    data_json: str = "null"

    def problem(self, message: str, *, field: str | None = None) -> InvalidEvent:
        return InvalidEvent(self.where + message, field=field)


def media_type(content_type: str | None) -> str:
    """`Application/JSON; charset=utf-8` -> `application/json`."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_json_media_type(mtype: str) -> bool:
    return mtype == "application/json" or mtype.endswith("+json")


def content_mode(content_type: str | None, header_names: Iterable[str]) -> str:
    """The content mode (structured, batch or binary), chosen by the Content-Type as the HTTP
    binding says. Binary mode needs `ce-` headers or JSON data; anything else is 415."""
    mtype = media_type(content_type)
    if mtype == STRUCTURED:
        return "structured"
    if mtype == BATCH:
        return "batch"
    if mtype.startswith("application/cloudevents"):
        raise UnsupportedMediaType(f"{mtype} is not supported: kb reads the JSON event format.")
    if is_json_media_type(mtype) or any(n.lower().startswith("ce-") for n in header_names):
        return "binary"
    raise UnsupportedMediaType(
        f"Content-Type {mtype or '(none)'} is not an event: send {STRUCTURED}, {BATCH}, "
        "or the data (e.g. application/json) with ce-id, ce-source, ce-type and "
        "ce-specversion headers."
    )


def parse_request(mode: str, headers: Iterable[tuple[str, str]], body: bytes) -> list[CloudEvent]:
    """The events of one request, each validated (attributes only: data schemas are the
    catalogue's). Raises InvalidEvent (400) or EventTooLarge (413)."""
    if mode == "binary":
        return [_from_binary(dict((k.lower(), v) for k, v in headers), body)]
    doc = load_json(body, "the body", batch=mode == "batch")
    if mode == "structured":
        if not isinstance(doc, dict):
            raise InvalidEvent(f"A structured event is a JSON object, not {_json_type(doc)}.")
        return [_from_structured(doc, "")]
    if not isinstance(doc, list):
        raise InvalidEvent(f"A batch is a JSON array of events, not {_json_type(doc)}.")
    events = []
    for i, item in enumerate(doc):
        where = f"event {i}: "
        if not isinstance(item, dict):
            raise InvalidEvent(f"{where}an event is a JSON object, not {_json_type(item)}.")
        events.append(_from_structured(item, where))
    return events


# --- JSON ----------------------------------------------------------------------------------


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]} is too large")
    return value


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def load_json(raw: bytes, what: str, *, batch: bool = False, data: bool = False) -> Any:
    """Strict JSON in UTF-8: no NaN/Infinity, no overflowing numbers, bounded nesting, no
    member name twice in one object. `batch`: the body is a batch; `data`: it is the data."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidEvent(f"{what} is not valid UTF-8 (byte {exc.start}).") from None
    hook, repeated = jsonmembers.unique_pairs()
    try:
        value = json.loads(
            text, parse_float=_finite, parse_constant=_no_constant, object_pairs_hook=hook
        )
    except json.JSONDecodeError as exc:
        raise InvalidEvent(
            f"{what} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from None
    except (ValueError, RecursionError) as exc:  # int digits limit, inf, NaN, nesting
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:120]
        raise InvalidEvent(f"{what} is not acceptable JSON: {reason}.") from None
    if repeated:
        _refuse_repeated(value, batch=batch, data=data)
    return value


def _refuse_repeated(value: Any, *, batch: bool, data: bool) -> None:
    path, name = jsonmembers.first_repeated(value)
    where = ""
    if batch and path and isinstance(path[0], int):
        where, path = f"event {path[0]}: ", path[1:]
    if data:
        path = ["data", *path]
    place = jsonmembers.dotted(path) if path else "the event"
    raise InvalidEvent(
        f"{where}{place} repeats the member {_quote(name)}: a name may appear only once in a "
        "JSON object (which of the values would count is not defined).",
        field=name[:40],
    )


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


# --- the modes -----------------------------------------------------------------------------


def _from_structured(doc: dict, where: str) -> CloudEvent:
    # null means absent (JSON event format)
    attrs = {k: v for k, v in doc.items() if k not in ("data", "data_base64") and v is not None}
    data, data_b64 = doc.get("data"), doc.get("data_base64")
    event = _build(attrs, data, where, binary=False)
    event.data_json = check_data(data, where)
    if data is not None and data_b64 is not None:
        raise event.problem("an event has `data` or `data_base64`, not both.")
    if data_b64 is not None:
        _check_base64(data_b64, where)
        event.attributes["data_base64"] = data_b64
    _check_size(event, attrs)
    return event


def _from_binary(headers: dict[str, str], body: bytes) -> CloudEvent:
    attrs: dict[str, Any] = {}
    for header, value in headers.items():
        # the Content-Type header is the datacontenttype
        if header.startswith("ce-") and header != "ce-datacontenttype":
            try:
                attrs[header[3:]] = unquote_to_bytes(value.encode("latin-1")).decode("utf-8")
            except UnicodeError:
                raise InvalidEvent(f"Header {header} is not UTF-8 once percent-decoded.") from None
    if not attrs:  # the usual mistake: a whole event sent as application/json
        raise InvalidEvent(
            "No ce- headers: in binary mode the attributes travel as ce-id, ce-source, ce-type "
            f"and ce-specversion headers. To send the whole event as JSON use {STRUCTURED}."
        )
    content_type = headers.get("content-type", "").strip()
    if content_type:
        attrs["datacontenttype"] = content_type
    event = _build(attrs, None, "", binary=True)
    if body:
        # without a Content-Type the data is read as JSON (the official SDK sends it so)
        mtype = media_type(content_type) or "application/json"
        if is_json_media_type(mtype):
            event.data = load_json(body, "the data (the body)", data=True)
            event.data_json = check_data(event.data, "")
        elif mtype.startswith("text/"):
            try:
                event.data = body.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidEvent("The text data (the body) is not valid UTF-8.") from None
            event.data_json = check_data(event.data, "")
        else:
            event.attributes["data_base64"] = base64.b64encode(body).decode("ascii")
    _check_size(event, attrs)
    return event


def _build(attrs: dict[str, Any], data: Any, where: str, *, binary: bool) -> CloudEvent:
    for name in REQUIRED:  # first: nothing else is worth saying before these are right
        value = attrs.get(name)
        if value is None or value == "":
            how = f" (header ce-{name})" if binary else ""
            raise InvalidEvent(
                f"{where}the required attribute `{name}`{how} is missing.", field=name
            )
    if attrs["specversion"] != "1.0":
        raise InvalidEvent(
            f'{where}specversion must be "1.0" (got {_quote(attrs["specversion"])}).',
            field="specversion",
        )
    for name, value in attrs.items():
        _check_attribute(name, value, where)
    if "subject" in attrs and not attrs["subject"]:
        raise InvalidEvent(f"{where}`subject` must not be empty when present.", field="subject")
    if "datacontenttype" in attrs and not MEDIA_TYPE.fullmatch(attrs["datacontenttype"]):
        raise InvalidEvent(
            f"{where}datacontenttype must be a media type such as application/json "
            f"(got {_quote(attrs['datacontenttype'])}).",
            field="datacontenttype",
        )
    if "dataschema" in attrs and not ABSOLUTE_URI.fullmatch(attrs["dataschema"]):
        raise InvalidEvent(
            f"{where}dataschema must be an absolute URI such as "
            f"urn:pmo:schema:project.closed:1 (got {_quote(attrs['dataschema'])}).",
            field="dataschema",
        )
    time = None
    if "time" in attrs:
        time = parse_timestamp(attrs["time"])
        if time is None:
            raise InvalidEvent(
                f"{where}time must be an RFC 3339 timestamp such as 2025-06-30T17:00:00Z "
                f"(got {_quote(attrs['time'])}).",
                field="time",
            )
    rest = {k: v for k, v in attrs.items() if k not in REQUIRED and k not in ("subject", "time")}
    return CloudEvent(
        id=attrs["id"],
        source=attrs["source"],
        type=attrs["type"],
        time=time,
        subject=attrs.get("subject"),
        data=data,
        attributes=rest,
        where=where,
    )


def _check_attribute(name: str, value: Any, where: str) -> None:
    if name not in _WELL_FORMED and not ATTRIBUTE_NAME.fullmatch(name):
        raise InvalidEvent(
            f"{where}the attribute name {_quote(name)} is invalid: names are 1-20 lower-case "
            "letters a-z or digits.",
            field=name[:40],
        )
    if isinstance(value, str):
        _check_string(name, value, where)
    elif name in STRING_ATTRIBUTES:
        raise InvalidEvent(
            f"{where}`{name}` must be a string, not {_json_type(value)}.", field=name
        )
    elif not (isinstance(value, bool) or (isinstance(value, int) and -(2**31) <= value < 2**31)):
        # the CloudEvents type system: String, Boolean, Integer (32-bit), ...
        raise InvalidEvent(
            f"{where}the extension attribute `{name}` must be a string, a boolean or a "
            f"32-bit integer, not {_json_type(value)}.",
            field=name,
        )


def _check_size(event: CloudEvent, attrs: dict) -> None:
    """Bytes of the event as compact JSON (what kb stores and delivers)."""
    doc = dict(attrs)
    if "data_base64" in event.attributes:
        doc["data_base64"] = event.attributes["data_base64"]
    size = len(json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    if event.data is not None:
        size += len(',"data":') + len(event.data_json.encode("utf-8"))
    if size > MAX_EVENT_BYTES:
        raise EventTooLarge(
            f"{event.where}the event is {size / 1024:.1f} KiB; an event may be at most "
            f"{MAX_EVENT_BYTES // 1024} KiB. Link to large content instead of embedding it."
        )


def _check_string(name: str, value: str, where: str) -> None:
    if BAD_STRING.search(value):
        raise InvalidEvent(
            f"{where}`{name}` holds a control character, a surrogate or a noncharacter.",
            field=name,
        )
    limit = MAX_LENGTH.get(name)
    if limit and len(value) > limit:
        raise InvalidEvent(
            f"{where}`{name}` is {len(value)} characters long; at most {limit} are allowed.",
            field=name,
        )
    if name == "source" and _SPACE.search(value):
        raise InvalidEvent(f"{where}`source` must be a URI-reference (no spaces).", field=name)


def _check_base64(value: Any, where: str) -> None:
    if not isinstance(value, str):
        raise InvalidEvent(f"{where}`data_base64` must be a string.", field="data_base64")
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidEvent(f"{where}`data_base64` is not base64.", field="data_base64") from None


def _quote(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True) if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
