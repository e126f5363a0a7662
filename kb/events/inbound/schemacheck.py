"""A fast yes/no check of data against the catalogue's JSON Schemas.

The `jsonschema` package walks a schema anew for every instance (a validator object per
subschema): for a `project.created` event that was as long as everything else the ingest
does. The catalogue uses a handful of keywords, so each schema is turned once into nested
Python checks with the same meaning (Draft 2020-12, as `jsonschema` reads them). Only the
answer "valid" is taken from here; invalid data goes through `jsonschema`, which words the
message (and has the last word). A keyword this module does not know is refused when the
schema is compiled, so a schema that grows cannot be checked half.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jsonschema import FormatChecker

Check = Callable[[Any], bool]

_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
KNOWN = {
    "type",
    "required",
    "properties",
    "items",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "enum",
    "minimum",
}


def compile_schema(schema: dict, formats: FormatChecker) -> Check:
    """`check(value)` is True exactly when `value` is valid against `schema`."""
    unknown = set(schema) - KNOWN
    if unknown:
        raise ValueError(f"schemacheck does not know {sorted(unknown)}")
    checks: list[Check] = []
    if "type" in schema:
        names = [schema["type"]] if isinstance(schema["type"], str) else schema["type"]
        kinds = [_TYPES[name] for name in names]
        checks.append(lambda v: any(kind(v) for kind in kinds))
    if "enum" in schema:
        options = schema["enum"]
        if not all(isinstance(o, str) for o in options):  # 1 == True: keep equality simple
            raise ValueError("schemacheck knows enums of strings only")
        checks.append(lambda v: isinstance(v, str) and v in options)
    checks += _string_checks(schema, formats)
    if "minimum" in schema:
        low = schema["minimum"]
        checks.append(lambda v: not _TYPES["number"](v) or v >= low)
    if "required" in schema:
        required = tuple(schema["required"])
        checks.append(lambda v: not isinstance(v, dict) or all(k in v for k in required))
    if "properties" in schema:
        fields = {k: compile_schema(sub, formats) for k, sub in schema["properties"].items()}
        checks.append(
            lambda v: not isinstance(v, dict) or all(c(v[k]) for k, c in fields.items() if k in v)
        )
    if "items" in schema:
        item = compile_schema(schema["items"], formats)
        checks.append(lambda v: not isinstance(v, list) or all(item(x) for x in v))
    return lambda v: all(check(v) for check in checks)


def _string_checks(schema: dict, formats: FormatChecker) -> list[Check]:
    checks: list[Check] = []
    if "minLength" in schema:
        low = schema["minLength"]
        checks.append(lambda v: not isinstance(v, str) or len(v) >= low)
    if "maxLength" in schema:
        high = schema["maxLength"]
        checks.append(lambda v: not isinstance(v, str) or len(v) <= high)
    if "pattern" in schema:
        pattern = re.compile(schema["pattern"])
        checks.append(lambda v: not isinstance(v, str) or pattern.search(v) is not None)
    if "format" in schema:
        name = schema["format"]
        checks.append(lambda v: formats.conforms(v, name))
    return checks
