"""The OpenAPI document states kb's character rule (kb.core.text) on everything a client
sends: every string of a path or query parameter and of a JSON body (values and member
names) matches TEXT_PATTERN. Stated once here, over the finished document, so that no
operation can forget it and the document never allows what kb.inputs and kb.api.body refuse.

Request bodies that name a shared component get their own copy of it: the rule is about what
kb accepts, and a component also describes answers (which may quote other systems' text).
"""

from __future__ import annotations

import copy

from kb.core.text import TEXT_PATTERN

#: operations that read their own body (CloudEvents: other systems' data is kept as sent)
OWN_BODIES = {("/api/events", "post")}
_NESTED_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_NESTED = ("items", "not", "additionalProperties", "contains")
#: members a body may carry beyond those it names (kb ignores them): any JSON value whose
#: strings and member names obey the rule; a component, since it refers to itself
TEXT_JSON = "TextJson"
ANY_TEXT_JSON = {"$ref": f"#/components/schemas/{TEXT_JSON}"}
TEXT_JSON_SCHEMA = {
    "description": "Any JSON value whose strings and member names obey kb's character rule",
    "anyOf": [
        {"type": ["null", "boolean", "number"]},
        {"type": "string", "pattern": TEXT_PATTERN},
        {"type": "array", "items": ANY_TEXT_JSON},
        {
            "type": "object",
            "propertyNames": {"pattern": TEXT_PATTERN},
            "additionalProperties": ANY_TEXT_JSON,
        },
    ],
}


def _is_string(schema: dict) -> bool:
    kind = schema.get("type")
    return kind == "string" or (isinstance(kind, list) and "string" in kind)


def _takes_text(schema: dict) -> bool:
    return _is_string(schema) or _is_string(schema.get("items", {}))


def _restrict(schema: dict, components: dict) -> dict:
    """`schema` (a copy, with references resolved) where every string obeys the rule."""
    if schema == ANY_TEXT_JSON:
        return schema
    if "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    schema = dict(schema)  # never changed in place: schemas are shared
    stated = schema.get("pattern") == TEXT_PATTERN or {"pattern": TEXT_PATTERN} in schema.get(
        "allOf", []
    )
    if _is_string(schema) and not stated and not {"enum", "const", "format"} & schema.keys():
        if "pattern" in schema:  # keep its own pattern; both must hold
            schema["allOf"] = [*schema.get("allOf", []), {"pattern": TEXT_PATTERN}]
        else:
            schema["pattern"] = TEXT_PATTERN
    if schema.get("type") == "object" or "properties" in schema:
        schema["propertyNames"] = {"pattern": TEXT_PATTERN}
        schema.setdefault("additionalProperties", ANY_TEXT_JSON)
    for key in ("properties", "patternProperties"):
        if key in schema:
            schema[key] = {name: _restrict(s, components) for name, s in schema[key].items()}
    for key in _NESTED:
        if isinstance(schema.get(key), dict):
            schema[key] = _restrict(schema[key], components)
    for key in _NESTED_LISTS:
        if key in schema:
            schema[key] = [_restrict(s, components) for s in schema[key]]
    return schema


def state_text_rule(paths: dict, components: dict, error: dict) -> dict:
    """A copy of `paths` where every parameter and request body obeys the rule, and every
    operation taking text in its address may answer 400 (the operations are often
    module-level dicts, shared by every request: never changed). `components` holds
    TEXT_JSON_SCHEMA under TEXT_JSON."""
    paths = copy.deepcopy(paths)
    for path, operations in paths.items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if "schema" in parameter:
                    parameter["schema"] = _restrict(parameter["schema"], components)
                if _takes_text(parameter.get("schema", {})):
                    operation.setdefault("responses", {}).setdefault(
                        "400",
                        {
                            "description": "Invalid input",
                            "content": {"application/json": {"schema": error}},
                        },
                    )
            if (path, method) in OWN_BODIES:
                continue
            for media in operation.get("requestBody", {}).get("content", {}).values():
                if "schema" in media:
                    media["schema"] = _restrict(media["schema"], components)
    return paths
