"""The inbound event types kb knows, with the JSON Schema (Draft 2020-12) of their data.

Schemas name what kb relies on and allow additional properties, so producers may send more
(forward compatible). Dates are `YYYY-MM-DD` (`format: date`); instants (`...At`) are RFC 3339
date-times. A `projectId` is a kb project key in any case: kb upper-cases it (`project_key`).
Handlers use `INBOUND`, `inbound_type` and `project_key`; the ingest endpoint `data_problem`.
"""

from __future__ import annotations

import functools
import re
from datetime import date
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from kb.core.time import parse_timestamp

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

PROJECT_KEY = r"^[A-Za-z][A-Za-z0-9-]{1,31}$"

_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or parse_timestamp(value) is not None


def _is_email(value: object) -> bool:
    return not isinstance(value, str) or bool(_EMAIL.fullmatch(value))


def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI.fullmatch(value))


def _text(max_length: int = 200) -> dict:
    return {"type": "string", "minLength": 1, "maxLength": max_length}


def _obj(required: list[str], **properties: dict) -> dict:
    return {"type": "object", "required": required, "properties": properties}


DATE = {"type": "string", "format": "date"}
DATE_TIME = {"type": "string", "format": "date-time"}
EMAIL = {"type": "string", "format": "email", "maxLength": 254}
VERSION = {"type": ["string", "number"]}
TAGS = {"type": "array", "items": _text(80)}

PROJECT = _obj(
    ["projectId", "name"],
    projectId={"type": "string", "pattern": PROJECT_KEY},
    name=_text(),
    description={"type": "string"},
    portfolio=_text(120),
    managerEmail=EMAIL,
    externalRefs={
        "type": "array",
        "items": _obj(["system", "id", "key"], system=_text(80), id=_text(), key=_text()),
    },
)

#: short type (after the prefix) -> JSON Schema of its data
INBOUND: dict[str, dict] = {
    "project.created": _obj(
        ["project", "plannedStart", "plannedEnd", "tags"],
        project=PROJECT,
        sponsor=_text(),
        methodology=_text(80),
        plannedStart=DATE,
        plannedEnd=DATE,
        tags=TAGS,
    ),
    "project.started": _obj(
        ["project", "actualStart", "managerEmail", "tags"],
        project=PROJECT,
        actualStart=DATE,
        managerEmail=EMAIL,
        tags=TAGS,
        methodology=_text(80),
    ),
    "project.stagegate.passed": _obj(
        ["project", "gate", "decision", "decidedAt", "nextStage"],
        project=PROJECT,
        gate=_obj(
            ["id", "name", "sequence"],
            id=_text(),
            name=_text(),
            sequence={"type": "integer", "minimum": 0},
        ),
        decision={"enum": ["go", "conditional"]},
        decidedAt=DATE_TIME,
        nextStage=_text(),
    ),
    "project.closed": _obj(
        ["project", "closedAt", "closureType", "managerEmail", "processModels"],
        project=PROJECT,
        closedAt=DATE_TIME,
        closureType={"enum": ["completed", "cancelled", "terminated"]},
        outcomeSummary={"type": "string"},
        managerEmail=EMAIL,
        processModels={
            "type": "array",
            "items": _obj(
                ["modelId", "name"],
                modelId=_text(),
                name=_text(),
                version=VERSION,
                uri={"type": "string", "format": "uri"},
            ),
        },
    ),
    "audit.completed": _obj(
        ["auditId", "scope", "completedAt", "findings"],
        auditId=_text(),
        project=PROJECT,
        scope=_text(2000),
        completedAt=DATE_TIME,
        findings={
            "type": "array",
            "items": _obj(
                ["id", "severity", "title", "recommendation"],
                id=_text(),
                severity=_text(40),
                title=_text(),
                recommendation={"type": "string"},
            ),
        },
    ),
    "process.changed": _obj(
        ["processId", "version", "changeType", "effectiveFrom", "changedBy", "summary"],
        processId=_text(),
        version=VERSION,
        changeType={"enum": ["created", "updated", "retired"]},
        effectiveFrom=DATE,
        changedBy=_text(),
        summary={"type": "string"},
    ),
}


def inbound_type(full_type: str, prefix: str) -> str | None:
    """`org.pmo.project.closed` -> `project.closed` when kb knows it under `prefix`."""
    short = full_type.removeprefix(prefix.rstrip(".") + ".")
    return short if short != full_type and short in INBOUND else None


def project_key(data: Any) -> str | None:
    """The kb project key of an event's `project` (upper-cased), if it has one."""
    project = data.get("project") if isinstance(data, dict) else None
    key = project.get("projectId") if isinstance(project, dict) else None
    return key.upper() if isinstance(key, str) and re.match(PROJECT_KEY, key) else None


# jsonschema-rs says quickly whether data is valid (about 3 us against jsonschema's 100 us an
# event: on a batch, checking was half the ingest); jsonschema words what is wrong.
_FORMATS = {"date": _is_date, "date-time": _is_date_time, "email": _is_email, "uri": _is_uri}
_FAST = {
    name: jsonschema_rs.Draft202012Validator(schema, formats=_FORMATS, validate_formats=True)
    for name, schema in INBOUND.items()
}


@functools.cache
def _validators() -> dict[str, Draft202012Validator]:
    """The `jsonschema` validators that word the problems, made when data is first invalid:
    a process that never meets invalid data (most never do) does not import jsonschema,
    about 8 MB of memory each."""
    from jsonschema import Draft202012Validator, FormatChecker

    checker = FormatChecker(formats=())
    for name, check in _FORMATS.items():
        checker.checks(name)(check)
    return {
        name: Draft202012Validator(schema, format_checker=checker)
        for name, schema in INBOUND.items()
    }


def _known_valid(short_type: str, data: Any) -> bool:
    try:
        return _FAST[short_type].is_valid(data)
    except ValueError:  # e.g. a lone surrogate in a string: jsonschema decides
        return False


def data_problem(short_type: str, data: Any) -> tuple[str, str] | None:
    """(field path, the problem in plain words) of invalid data, or None when it is valid.
    Valid data is recognised by jsonschema-rs; `jsonschema` words the problems."""
    if _known_valid(short_type, data):
        return None
    from jsonschema.exceptions import best_match

    error = best_match(_validators()[short_type].iter_errors(data))
    return None if error is None else describe(error)


# --- messages ------------------------------------------------------------------------------

_TYPE_WORDS = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}
_FORMAT_WORDS = {
    "date": "a date written YYYY-MM-DD",
    "date-time": "an RFC 3339 date-time such as 2025-06-30T17:00:00Z",
    "email": "an e-mail address",
    "uri": "an absolute URI",
}


def _path(parts) -> str:  # noqa: ANN001
    out = "data"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _got(value: Any) -> str:
    if isinstance(value, str):
        text = repr(value)
        return f"got {text[:40] + '...' if len(text) > 40 else text}"
    if isinstance(value, bool) or value is None:
        return f"got {'null' if value is None else str(value).lower()}"
    if isinstance(value, int | float):
        text = str(value)
        return f"got {text[:20] + '...' if len(text) > 20 else text}"
    return f"got {'an array' if isinstance(value, list) else 'an object'}"


def describe(error: ValidationError) -> tuple[str, str]:
    """A jsonschema error -> (path, message) a person can act on."""
    path = _path(error.absolute_path)
    kind, expected, value = error.validator, error.validator_value, error.instance
    if kind == "required":
        missing = next((p for p in expected if p not in value), expected[0])
        path = f"{path}.{missing}"
        return path, f"{path} is required"
    if kind == "type":
        names = [expected] if isinstance(expected, str) else list(expected)
        words = " or ".join(_TYPE_WORDS.get(n, n) for n in names)
        return path, f"{path} must be {words} ({_got(value)})"
    if kind == "enum":
        return path, f"{path} must be one of {', '.join(map(str, expected))} ({_got(value)})"
    if kind == "format":
        return path, f"{path} must be {_FORMAT_WORDS.get(expected, expected)} ({_got(value)})"
    if kind == "pattern" and expected == PROJECT_KEY:
        return path, (
            f"{path} must be a project key: 2-32 letters, digits or '-', starting with a "
            f"letter ({_got(value)})"
        )
    if kind == "minLength":
        return path, f"{path} must not be empty"
    if kind == "maxLength":
        return path, f"{path} must be at most {expected} characters long"
    if kind == "minimum":
        return path, f"{path} must be at least {expected} ({_got(value)})"
    return path, f"{path}: {error.message[:200]}"
