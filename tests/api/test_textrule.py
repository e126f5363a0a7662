"""The OpenAPI document states kb's character rule on everything a client sends."""

from __future__ import annotations

import re

from kb.core.text import BAD_CHARACTER, TEXT_PATTERN


def _strings(schema, schemas, seen=()):
    """Every string schema reachable from `schema` (following references once)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return
        schema, seen = schemas[name], (*seen, name)
    kind = schema.get("type")
    if kind == "string" or (isinstance(kind, list) and "string" in kind):
        yield schema
    for key in ("items", "additionalProperties", "not"):
        if isinstance(schema.get(key), dict):
            yield from _strings(schema[key], schemas, seen)
    for sub in schema.get("properties", {}).values():
        yield from _strings(sub, schemas, seen)
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key, []):
            yield from _strings(sub, schemas, seen)


def _obeys_rule(schema: dict) -> bool:
    if {"enum", "const", "format"} & schema.keys():
        return True  # a closed set or a format holds no control character
    return TEXT_PATTERN in [schema.get("pattern")] + [
        s.get("pattern") for s in schema.get("allOf", [])
    ]


def test_every_string_a_client_sends_carries_the_rule(client):
    doc = client.get("/api/openapi.json").json
    schemas = doc["components"]["schemas"]
    checked = 0
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            found = [
                s for p in operation.get("parameters", []) for s in _strings(p["schema"], schemas)
            ]
            if (path, method) != ("/api/events", "post"):
                for media in operation.get("requestBody", {}).get("content", {}).values():
                    found += list(_strings(media["schema"], schemas))
            assert all(_obeys_rule(s) for s in found), (method, path)
            if any("pattern" in s for s in found if s.get("pattern") == TEXT_PATTERN):
                assert "400" in operation["responses"], (method, path)
            checked += len(found)
    assert checked > 100


def test_the_pattern_is_the_rule():
    for char in map(chr, range(0x100)):
        assert (re.fullmatch(TEXT_PATTERN, f"a{char}b") is None) == bool(BAD_CHARACTER.search(char))


def test_the_document_is_the_same_every_time(client):
    """The rule is applied to a copy: the module-level operations are never changed."""
    first = client.get("/api/openapi.json").get_data()
    assert client.get("/api/openapi.json").get_data() == first
