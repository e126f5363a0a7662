"""Property: any request the CloudEvents parser is given (any mode, headers and body) gives
validated events or a KbError (400/413/415) with a message, never another exception."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.core.errors import KbError
from kb.events.inbound import cloudevents
from kb.events.inbound import data as event_data

PROPERTY = settings(max_examples=400, deadline=None, derandomize=True, database=None)

ANY_CHARACTER = st.characters(codec=None, exclude_categories=())
TEXT = st.text(ANY_CHARACTER, max_size=12) | st.sampled_from(
    [
        "1.0",
        "org.pmo.project.closed",
        "urn:pmo:jira:acme",
        "projects/ATLAS",
        "application/json",
        "2025-06-30T17:00:00Z",
        "2025-02-30T00:00:00Z",
        "9999-12-31T23:00:00-02:00",
        "urn:x",
        "text/plain",
        "a" * 300,
        "",
        " ",
        "\x00",
        "\ud800",
        "%ZZ",
        "AAAA",
        "AA=",
        "e30=",
    ]
)
NUMBERS = st.integers() | st.floats() | st.sampled_from([2**31, -(2**31) - 1, 10**50])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | NUMBERS | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=16,
)
ATTRIBUTES = [
    "id",
    "source",
    "specversion",
    "type",
    "subject",
    "time",
    "datacontenttype",
    "dataschema",
    "partitionkey",
    "data",
    "data_base64",
    "Bad",
    "x" * 21,
]
EVENTS = st.dictionaries(st.sampled_from(ATTRIBUTES) | TEXT, JSON_VALUES, max_size=9).map(
    lambda doc: {"id": "e1", "source": "urn:x", "specversion": "1.0", "type": "t", **doc}
) | st.dictionaries(st.sampled_from(ATTRIBUTES), JSON_VALUES, max_size=9)


def _dumps(value) -> bytes:
    try:
        return json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError):  # a lone surrogate: send it escaped
        return json.dumps(value).encode("utf-8")


BODIES = st.one_of(
    EVENTS.map(_dumps),
    st.lists(EVENTS, max_size=4).map(_dumps),
    JSON_VALUES.map(_dumps),
    st.binary(max_size=200),
    st.sampled_from([b"[" * 5000, b'{"a":' * 3000, b"1" * 5000, b"NaN", b"\xff\xfe", b""]),
)
HEADER_VALUE = st.text(st.characters(codec="latin-1"), max_size=20) | TEXT.filter(
    lambda t: t.isascii()
)
HEADERS = st.dictionaries(
    st.sampled_from([f"ce-{name}" for name in ATTRIBUTES[:9]] + ["ce-", "ce-X", "content-type"]),
    HEADER_VALUE,
    max_size=8,
)
CONTENT_TYPES = (
    st.sampled_from(
        [
            None,
            "",
            "application/json",
            "application/cloudevents+json",
            "application/cloudevents-batch+json",
            "application/cloudevents+xml",
            "text/plain",
            "application/octet-stream",
            "application/vnd.x+json; charset=utf-8",
            "garbage",
        ]
    )
    | HEADER_VALUE
)


VALID_HEADERS = {"ce-id": "e1", "ce-source": "urn:x", "ce-specversion": "1.0", "ce-type": "t"}
REQUESTS = st.one_of(
    # structured and batch: the body is the event(s)
    st.tuples(st.just({"content-type": cloudevents.STRUCTURED}), EVENTS.map(_dumps) | BODIES),
    st.tuples(
        st.just({"content-type": cloudevents.BATCH}),
        st.lists(EVENTS, max_size=4).map(_dumps) | BODIES,
    ),
    # binary: mostly valid attributes in headers, some changed, any data
    st.tuples(
        st.builds(
            lambda h, t: {**VALID_HEADERS, **h, **({"content-type": t} if t else {})},
            HEADERS,
            CONTENT_TYPES,
        ),
        BODIES,
    ),
    # anything at all
    st.tuples(
        st.builds(
            lambda h, t: {**h, **({"content-type": t} if t is not None else {})},
            HEADERS,
            CONTENT_TYPES,
        ),
        BODIES,
    ),
)


@PROPERTY
@given(REQUESTS)
def test_any_request_gives_events_or_a_domain_error(request):
    headers, body = request
    try:
        mode = cloudevents.content_mode(headers.get("content-type"), headers)
        events = cloudevents.parse_request(mode, headers.items(), body)
    except KbError as exc:
        assert exc.message and exc.status in (400, 413, 415)
        return
    for event in events:
        assert event.id and event.source and event.type
        json.dumps(event.data, allow_nan=False).encode("utf-8")  # storable as it is


def _nested(depth: int, leaf) -> object:  # noqa: ANN001
    for level in range(depth - 1):
        leaf = [leaf] if level % 2 else {"k": leaf}
    return leaf


DATA = JSON_VALUES | st.builds(
    _nested,
    st.integers(min_value=1, max_value=36),
    st.sampled_from(["x", "\\u0000", "\x00", "\ud800", "[[[[{{{{" * 5, None]),
)


@PROPERTY
@given(DATA)
def test_the_quick_look_at_data_agrees_with_the_walk(data):
    """check_data looks at the serialised data and walks only what looks wrong: it refuses
    exactly what the walk refuses, and otherwise gives the data as compact JSON."""
    try:
        event_data._walk_data(data, "")
        refused = False
    except cloudevents.InvalidEvent:
        refused = True
    try:
        text = event_data.check_data(data, "")
    except cloudevents.InvalidEvent:
        assert refused
        return
    assert not refused
    assert text == json.dumps(data, ensure_ascii=False, separators=(",", ":"))
