"""The generated OpenAPI document: security from the access table, and the 400 a body that
fails its model gets (the field named, in plain words)."""

from __future__ import annotations

import pytest

TOKEN = {"token": []}
WRITE_SESSION = {"session": [], "csrf": []}


def test_security_schemes_and_who_needs_them(client):
    doc = client.get("/api/openapi.json").json
    schemes = doc["components"]["securitySchemes"]
    assert schemes["token"] == {**schemes["token"], "type": "http", "scheme": "bearer"}
    assert (schemes["session"]["in"], schemes["session"]["name"]) == ("cookie", "kb_session")
    assert (schemes["csrf"]["in"], schemes["csrf"]["name"]) == ("header", "X-CSRFToken")
    paths = doc["paths"]
    assert paths["/api/lessons"]["post"]["security"] == [TOKEN, WRITE_SESSION]
    assert paths["/api/lessons"]["get"]["security"] == [TOKEN, {"session": []}]
    assert {"401", "403"} <= set(paths["/api/lessons"]["post"]["responses"])
    assert paths["/api/openapi.json"]["get"]["security"] == []
    assert paths["/api/events"]["post"]["security"] == [{"producer": []}, TOKEN]


def test_anonymous_reading_is_stated_when_it_is_on(app, client):
    app.config["KB_ANONYMOUS_READ"] = True
    paths = client.get("/api/openapi.json").json["paths"]
    assert {} in paths["/api/search"]["get"]["security"]
    assert {} not in paths["/api/lessons"]["post"]["security"]


def test_the_answers_are_the_models(client):
    doc = client.get("/api/openapi.json").json
    lesson = doc["components"]["schemas"]["LessonDetail"]["properties"]
    # the fields GET /api/lessons/<id> adds (kb.api.actions, kb.api.lifecycle) are described
    assert {"actions", "transitions", "similar", "recurrences", "related"} <= set(lesson)
    ok = doc["paths"]["/api/lessons/{doc_id}"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LessonDetail"
    }


@pytest.mark.parametrize(
    ("path", "body", "field", "words"),
    [
        ("/api/lessons/LL-2025-0001/transitions", {"to": 5}, "to", "`to` must be one of"),
        ("/api/lessons/LL-2025-0001/transitions", {}, "to", "`to` is required"),
        ("/api/lessons/LL-2025-0001/actions", {"owner": "x" * 121}, "owner", "at most 120"),
        ("/api/actions/1/close", {"note": 7}, "note", "must be a string"),
        ("/api/subscriptions", {"url": "https://hooks.example.org/"}, "name", "`name` is required"),
        ("/api/lessons", {"title": "T", "version": "1"}, "version", "whole number"),
        ("/api/lessons", ["x"], None, "Send a JSON object"),
    ],
)
def test_a_body_its_model_refuses_names_the_field(client, path, body, field, words):
    response = client.post(path, json=body)
    assert response.status_code == 400, response.json
    error = response.json["error"]
    assert error["code"] == "invalid" and error.get("field") == field
    assert words in error["message"], error


def test_a_query_its_model_refuses_names_the_parameter(client):
    error = client.get("/api/tasks", query_string={"status": "closed"}).json["error"]
    assert error["field"] == "status" and "open, done, all" in error["message"]


def test_every_model_of_the_api_has_a_name_of_its_own():
    """The document's schemas are keyed by class name: two models of one name would describe
    one of them wrongly (a review's progress and a path's progress once did)."""
    import importlib
    import pkgutil

    from pydantic import BaseModel

    import kb.api.models as models

    owners: dict[str, set[str]] = {}
    for info in pkgutil.iter_modules(models.__path__):
        module = importlib.import_module(f"{models.__name__}.{info.name}")
        for value in vars(module).values():
            ours = isinstance(value, type) and value.__module__.startswith(models.__name__)
            if ours and issubclass(value, BaseModel):
                owners.setdefault(value.__name__, set()).add(value.__module__)
    assert len(owners) > 40
    assert {name: where for name, where in owners.items() if len(where) > 1} == {}
