"""The OpenAPI 3.1 description of /api, served at /api/openapi.json.

A test checks that every /api route is described here, so a new route cannot go undocumented.
"""

from __future__ import annotations

from flask import current_app

from kb.api import body, bp

# the parameters every list shares, and what kb.params refuses, live in their own module
from kb.api.limits import FILTERS, LIMITS, PAGING, bound_path_integers  # noqa: F401
from kb.api.textrule import TEXT_JSON, TEXT_JSON_SCHEMA, state_text_rule
from kb.params import VALUES_PER_PARAM

ERROR = {"$ref": "#/components/schemas/Error"}
#: paths contributed by other api modules at import (events, subscriptions, the event log)
EXTRA_PATHS: dict = {}


def _responses(ok: str, schema: dict, *codes: int) -> dict:
    out = {ok: {"description": "OK", "content": {"application/json": {"schema": schema}}}}
    messages = {
        400: "Invalid input",
        404: "Not found",
        409: "Edited by someone else meanwhile",
        413: "Too large",
        422: "Cannot be rendered within limits, or names a project the register does not hold"
        " (`field`: `project`, `details.suggestions`: the nearest registered keys)",
        428: "Missing version",
    }
    for code in codes:
        out[str(code)] = {
            "description": messages[code],
            "content": {"application/json": {"schema": ERROR}},
        }
    return out


def _collection(name: str, kind: str) -> dict:
    doc = {"$ref": "#/components/schemas/Document"}
    write = {"$ref": "#/components/schemas/DocumentWrite"}
    one = [{"name": "doc_id", "in": "path", "required": True, "schema": {"type": "string"}}]
    return {
        f"/api/{name}": {
            "get": {
                "summary": f"List {name} with filters",
                "parameters": FILTERS
                + PAGING
                + [
                    {
                        "name": "sort",
                        "in": "query",
                        "schema": {"enum": ["updated", "title", "id", "order"]},
                    }
                ],
                "responses": _responses("200", {"$ref": "#/components/schemas/DocumentList"}, 400),
            },
            "post": {
                "summary": f"Create a {kind}",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": write}},
                },
                "responses": _responses("201", doc, 400, 409, 413, 422),
            },
        },
        f"/api/{name}/{{doc_id}}": {
            "get": {
                "summary": f"One {kind} with its Markdown and HTML",
                "parameters": one,
                "responses": _responses("200", doc, 404),
            },
            "put": {
                "summary": f"Save a new revision of a {kind}",
                "parameters": one
                + [
                    {
                        "name": "If-Match",
                        "in": "header",
                        "schema": {"type": "string"},
                        "description": "the version you edited, if not in the body",
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": write}},
                },
                "responses": _responses("200", doc, 400, 404, 409, 413, 422, 428),
            },
        },
        f"/api/{name}/{{doc_id}}/revisions": {
            "get": {
                "summary": f"Revision history of a {kind}",
                "parameters": one,
                "responses": _responses(
                    "200",
                    {
                        "type": "object",
                        "properties": {
                            "revisions": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/Revision"},
                            }
                        },
                    },
                    404,
                ),
            },
        },
        f"/api/{name}/{{doc_id}}/revisions/{{number}}": {
            "get": {
                "summary": "One revision with its Markdown",
                "parameters": one
                + [
                    {
                        "name": "number",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
                "responses": _responses("200", {"$ref": "#/components/schemas/Revision"}, 404),
            },
        },
    }


def document() -> dict:
    paths: dict = {}
    for name, kind in (("lessons", "lesson"), ("processes", "process model"), ("guides", "guide")):
        paths.update(_collection(name, kind))
    paths["/api/search"] = {
        "get": {
            "summary": "Full-text search with facets",
            "description": 'Query language: words, "phrases", AND/OR/NOT, parentheses, a trailing '
            "wildcard (plan*), fields title:, tag:, topic:, project:, phase:, type:, "
            "status:, author:. At most 500 characters.",
            "parameters": [
                {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 500}},
                {
                    "name": "type",
                    "in": "query",
                    "style": "form",
                    "explode": True,
                    "schema": {
                        "type": "array",
                        "items": {"enum": ["lesson", "process", "guide"]},
                        "maxItems": VALUES_PER_PARAM,
                    },
                },  # fmt: skip
                {"name": "sort", "in": "query", "schema": {"enum": ["relevance", "date"]}},
            ]
            + FILTERS
            + PAGING,
            "responses": _responses("200", {"$ref": "#/components/schemas/SearchResults"}, 400),
        }
    }
    paths["/api/preview"] = {
        "post": {
            "summary": "Render Markdown without saving",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "allOf": [{"$ref": "#/components/schemas/DocumentWrite"}],
                            "properties": {"type": {"enum": ["lesson", "process", "guide"]}},
                        }
                    }
                },
            },
            "responses": _responses(
                "200",
                {
                    "type": "object",
                    "properties": {"html": {"type": "string"}, "title": {"type": "string"}},
                },
                400,
                413,
                422,
            ),
        }
    }
    paths["/api/projects"] = {
        "get": {
            "summary": "All projects with document counts",
            "responses": _responses("200", {"type": "object"}),
        }
    }
    paths["/api/projects/{key}"] = {
        "get": {
            "summary": "One project with its lessons and process models",
            "parameters": [
                {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": _responses("200", {"$ref": "#/components/schemas/Project"}, 404),
        }
    }
    paths["/api/openapi.json"] = {
        "get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}
    }
    paths.update(EXTRA_PATHS)
    bound_path_integers(paths, current_app.url_map)
    body.document_errors(paths, ERROR)
    return {
        "openapi": "3.1.0",
        "info": {"title": "kb — the PMO's corporate memory", "version": "1", "description": LIMITS},
        "paths": state_text_rule(paths, SCHEMAS, ERROR),
        "components": {"schemas": SCHEMAS},
    }


SCHEMAS = {
    TEXT_JSON: TEXT_JSON_SCHEMA,
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "field": {"type": "string"},
                    "details": {"type": "object"},
                },
            }
        },
    },
    "DocumentWrite": {
        "type": "object",
        "description": "Either `markdown` (front matter + body, see docs/format.md) or the fields with `body`. "
        "Updates also need `version`. What the front matter and the fields may hold is checked as "
        "docs/format.md says: a 400 names the field.",
        "anyOf": [{"required": ["markdown"]}, {"required": ["title"]}],
        "properties": {
            "markdown": {"type": "string"},
            "body": {"type": "string"},
            "title": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "\\S"},
            "version": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
            "message": {"type": "string"},
        },
        "additionalProperties": True,
    },
    "Document": {
        "type": "object",
        "required": ["id", "type", "title", "version"],
        "properties": {
            "id": {"type": "string"},
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "string"},
            "project": {"type": ["string", "null"]},
            "topics": {"type": "array", "items": {"type": "string"}},
            "tags": {"type": "array", "items": {"type": "string"}},
            "version": {"type": "integer"},
            "updated_at": {"type": "string", "format": "date-time"},
            "changed_at": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "when a person last changed it (docs/format.md#dates); null: "
                "imported without an `updated:` day",
            },
            "created_at": {"type": "string", "format": "date-time"},
            "markdown": {"type": "string"},
            "html": {"type": "string"},
            "extra": {"type": "object"},
            "merged_into": {
                "type": ["string", "null"],
                "description": "a merged lesson only: "
                "the lesson it was merged into, null when you may not read it",
            },
            "merged_into_note": {
                "type": "string",
                "description": "a merged lesson only: "
                '"Merged into LL-…" or "Merged into a lesson you may not read"',
            },
        },
    },
    "DocumentList": {
        "type": "object",
        "properties": {
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "pages": {"type": "integer"},
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Document"}},
        },
    },
    "Revision": {
        "type": "object",
        "properties": {
            "number": {"type": "integer"},
            "author": {"type": ["string", "null"]},
            "message": {
                "type": "string",
                "description": "the change note; one naming another "
                "document names it only to who may read that document",
            },
            "created_at": {"type": "string", "format": "date-time"},
            "markdown": {"type": "string"},
        },
    },
    "Project": {
        "type": "object",
        "properties": {
            "key": {"type": "string"},
            "name": {"type": "string"},
            "status": {"type": "string"},
            "lessons": {"type": "array"},
            "processes": {"type": "array"},
        },
    },
    "SearchResults": {
        "type": "object",
        "required": ["total", "hits", "facets", "suggestion"],
        "properties": {
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "pages": {"type": "integer"},
            "hits": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "snippet": {"type": "string", "description": "safe HTML with <mark>"},
                        "score": {"type": "number"},
                    },
                },
            },
            "facets": {
                "type": "object",
                "additionalProperties": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"value": {"type": "string"}, "count": {"type": "integer"}},
                    },
                },
            },
            "suggestion": {"type": ["string", "null"]},
        },
    },
}


@bp.get("/openapi.json")
def openapi_json():
    return document()
