"""The check every test's app runs (tests/contract.py) catches an answer outside the
document: a body that breaks its schema, an undocumented status, an unknown operation."""

from __future__ import annotations

import json


def test_an_answer_that_breaks_its_schema_is_reported(app, client, lesson_md):
    contract = app.extensions["contract"]

    @app.after_request
    def break_projects(response):  # runs before the contract's check (registered later)
        if response.status_code == 200 and response.is_json and "projects" in response.json:
            response.set_data(json.dumps({"projects": [{"key": 7}]}))
        return response

    assert client.get("/api/projects").status_code == 200
    assert client.get("/api/lessons/LL-1999-0001").status_code == 404  # documented
    found, contract.mismatches[:] = list(contract.mismatches), []
    assert len(found) >= 2 and all("GET /api/projects -> 200" in m for m in found), found
    assert contract.checked >= 2


def test_an_undocumented_status_is_reported(app, client):
    contract = app.extensions["contract"]

    @app.after_request
    def teapot(response):
        if response.is_json and "projects" in (response.json or {}):
            response.status_code = 418
        return response

    client.get("/api/projects")
    found, contract.mismatches[:] = list(contract.mismatches), []
    assert len(found) == 1 and found[0].startswith(
        "GET /api/projects -> 418: status not documented"
    )
