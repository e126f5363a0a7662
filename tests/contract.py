"""Every JSON answer the test suite receives from /api/ is checked against the OpenAPI
document kb generates: its status is one the operation documents, its content type the one
documented, and its body valid against that response's schema. A test whose app answered
outside the document fails (the `app` fixture asserts no mismatch at its end)."""

from __future__ import annotations

import re

from flask import Flask, Response, request
from jsonschema import Draft202012Validator

from kb.api.spec import document


class Contract:
    def __init__(self, app: Flask):
        self.app = app
        self.doc: dict | None = None
        self.validators: dict = {}
        self.mismatches: list[str] = []
        self.checked = 0
        app.after_request(self.check)
        app.extensions["contract"] = self

    def _validator(self, schema: dict) -> Draft202012Validator:
        key = repr(schema)
        if key not in self.validators:
            root = {**schema, "components": self.doc["components"]}
            self.validators[key] = Draft202012Validator(root)
        return self.validators[key]

    def check(self, response: Response) -> Response:
        rule = request.url_rule
        if rule is None or request.blueprint != "api":
            return response  # routing's own 404/405, or a route a test added
        if self.doc is None:
            self.doc = document()
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        method = request.method.lower()
        where = f"{request.method} {request.full_path.rstrip('?')} -> {response.status_code}"
        operation = self.doc["paths"].get(path, {}).get(method)
        if operation is None:
            if method not in ("head", "options"):
                self.mismatches.append(f"{where}: no such operation in the document")
            return response
        answer = operation["responses"].get(str(response.status_code))
        if answer is None:
            self.mismatches.append(
                f"{where}: status not documented ({response.get_data()[:300]!r})"
            )
            return response
        content = answer.get("content")
        if not content:
            return response
        if response.mimetype not in content:
            self.mismatches.append(f"{where}: {response.mimetype} is not {list(content)}")
            return response
        schema = content[response.mimetype].get("schema")
        if schema is not None and response.is_json:
            errors = sorted(self._validator(schema).iter_errors(response.get_json()), key=str)
            self.checked += 1
            for error in errors[:3]:
                at = "/".join(map(str, error.absolute_path))
                self.mismatches.append(f"{where}: at /{at}: {error.message[:300]}")
        return response
