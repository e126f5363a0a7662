"""Bounded parameters on every route, enumerated from app.url_map (a new route is covered
without touching this file): repeated values are capped (a clear 400) and no integer in a
path or query string can reach the database out of range (a 4xx, never a 500)."""

from __future__ import annotations

import re

import pytest
from werkzeug.routing.converters import NumberConverter

from kb.params import VALUES_IN_ALL, VALUES_PER_PARAM

HUGE = [2**64, -(2**64), 10**30]
#: sample values for the other path parameters, so the route reaches its view
PATH_VALUES = {
    "folder": "lessons",
    "doc_id": "LL-2025-0001",
    "key": "ATLAS",
    "name": "jira",
    "username": "ada",
    "filename": "kb.css",
}
#: every whole-number query parameter a route reads (kb.params.int_arg)
INT_QUERY = ("page", "per_page", "before", "limit", "a", "b")


def rules(app, method: str):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if method in rule.methods:
            yield rule


def fill(rule, **values) -> str:
    def one(match: re.Match) -> str:
        name = match.group(1)
        return str(values.get(name, PATH_VALUES.get(name, "1")))

    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", one, rule.rule)


def int_path_params(rule) -> list[str]:
    return [n for n, c in rule._converters.items() if isinstance(c, NumberConverter)]


@pytest.fixture
def lesson(make_lesson):
    return make_lesson()


def message_of(response) -> str:
    if response.is_json:
        return response.json["error"]["message"]
    # pages set a quoted name as code (kb.web.present.message): read it back as `name`
    return re.sub(r"</?code>", "`", response.get_data(as_text=True))


# --- repeated values ---------------------------------------------------------------------


def too_many_of_one() -> str:
    return "&".join(f"tag=t{i}" for i in range(VALUES_PER_PARAM + 1))


def too_many_in_all() -> str:
    keys = ("tag", "topic", "phase", "project", "status", "polarity", "type")
    per_key = VALUES_PER_PARAM
    pairs = [f"{keys[i // per_key]}=v{i}" for i in range(VALUES_IN_ALL + 1)]
    return "&".join(pairs)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (too_many_of_one(), f"at most {VALUES_PER_PARAM} values of one parameter"),
        (too_many_in_all(), f"at most {VALUES_IN_ALL} are allowed in all"),
    ],
    ids=["one-filter", "in-all"],
)
def test_every_get_route_refuses_too_many_values(app, client, lesson, query, expected):
    checked = 0
    for rule in rules(app, "GET"):
        response = client.get(f"{fill(rule, doc_id=lesson.id)}?{query}")
        assert response.status_code == 400, (rule.rule, response.status_code)
        assert expected in message_of(response), rule.rule
        checked += 1
    assert checked > 40  # the lists, searches and pages of kb, web and API


def test_the_limits_themselves_are_accepted(client, lesson):
    at_cap = "&".join(f"tag=t{i}" for i in range(VALUES_PER_PARAM))
    for path in ("/search", "/lessons", "/api/search", "/api/lessons"):
        assert client.get(f"{path}?q=plan&{at_cap}").status_code == 200, path


def test_a_filtered_search_page_stays_small(kb, client, make_lesson):
    """The page's links repeat the filters: with the caps its size is bounded."""
    for n in range(5):
        make_lesson(f"Vendor interface specification {n} arrived late", tags=f"[vendor, t{n}]")
    kb.projection.catch_up()
    keys = ("tag", "topic", "phase", "project", "status")
    values = [f"{keys[i % len(keys)]}=value-{i}" for i in range(VALUES_IN_ALL - 2)]
    response = client.get("/search?tag=vendor&" + "&".join(values))
    assert response.status_code == 200
    assert response.data.count(b"value-47") > 10  # every link carries every filter
    # the links repeat every value: quadratic in their number, so the cap bounds the page
    assert len(response.data) < 250_000


# --- integers out of range ---------------------------------------------------------------


@pytest.mark.parametrize("number", HUGE, ids=["2^64", "-2^64", "10^30"])
def test_an_integer_path_parameter_out_of_range_is_a_404(app, client, lesson, number):
    checked = 0
    for method in ("GET", "POST", "PUT"):
        for rule in rules(app, method):
            for name in int_path_params(rule):
                url = fill(rule, doc_id=lesson.id, **{name: number})
                response = client.open(url, method=method, json={})
                assert response.status_code == 404, (method, url, response.status_code)
                checked += 1
    assert checked >= 25


@pytest.mark.parametrize("number", HUGE, ids=["2^64", "-2^64", "10^30"])
def test_an_integer_query_parameter_out_of_range_is_a_400_or_ignored(app, client, lesson, number):
    """Every GET route, every whole-number parameter kb reads: never a server error; a route
    that reads the parameter says which one is wrong."""
    refused = set()
    for rule in rules(app, "GET"):
        for name in INT_QUERY:
            url = f"{fill(rule, doc_id=lesson.id)}?{name}={number}"
            response = client.get(url)
            response.close()  # a static file's answer holds the file open
            assert response.status_code < 500, (url, response.status_code)
            if response.status_code == 400:
                assert f"`{name}`" in message_of(response), url
                refused.add((rule.endpoint, name))
    for expected in [
        ("web.search", "page"),
        ("web.list_documents", "page"),
        ("web.diff", "a"),
        ("web.admin_events", "before"),
        ("api.list_events", "before"),
        ("api.search", "per_page"),
        ("api.get_inbox", "page"),
        ("api.list_lesson", "per_page"),
    ]:
        assert expected in refused, expected


def test_openapi_integer_query_parameters_are_refused_out_of_range(client, lesson):
    """The API's own document lists its whole-number parameters: each refuses what it says
    it does not take, with a 400 naming the parameter."""
    paths = client.get("/api/openapi.json").json["paths"]
    checked = 0
    for path, operations in paths.items():
        get = operations.get("get")
        if not get or "{" in path:
            continue
        for param in get.get("parameters", []):
            schema = param.get("schema", {})
            if param["in"] != "query" or schema.get("type") != "integer":
                continue
            assert "maximum" in schema, (path, param["name"])
            for number in (schema["maximum"] + 1, schema.get("minimum", 0) - 1, 10**30):
                response = client.get(f"{path}?{param['name']}={number}")
                assert response.status_code == 400, (path, param["name"], number)
                assert response.json["error"]["field"] == param["name"]
                checked += 1
    assert checked >= 20


def test_openapi_integer_path_parameters_state_their_range(app, client):
    paths = client.get("/api/openapi.json").json["paths"]
    seen = 0
    for path, operations in paths.items():
        for op in operations.values():
            for param in op.get("parameters", []):
                if param["in"] == "path" and param["schema"].get("type") == "integer":
                    assert param["schema"]["minimum"] == 1, (path, param["name"])
                    assert param["schema"]["maximum"] in (2**31 - 1, 2**63 - 1)
                    assert "404" in op["responses"], path
                    seen += 1
    assert seen >= 10


def test_ordinary_numbers_still_work(client, lesson):
    assert client.get(f"/api/lessons/{lesson.id}/revisions/1").status_code == 200
    assert client.get("/api/lessons?page=1&per_page=100").status_code == 200
    assert client.get("/api/lessons?per_page=101").status_code == 400
    assert client.get("/api/events?before=9223372036854775807").status_code == 200


def test_the_id_pattern_holds_the_range_exactly():
    from kb.params import ID_MAX, SEQ_MAX, up_to

    for limit in (ID_MAX, SEQ_MAX, 9, 10, 305):
        pattern = re.compile(up_to(limit))
        for n in [*range(0, 400), limit - 1, limit, limit + 1, limit * 10]:
            assert bool(pattern.fullmatch(str(n))) == (1 <= n <= limit), (limit, n)
        assert not pattern.fullmatch("007")


def test_an_id_out_of_range_is_a_404_for_every_method(client):
    """werkzeug answers 405 when a converter refuses a number on a path other methods share."""
    for method in ("get", "put", "post"):
        response = getattr(client, method)(f"/api/subscriptions/{2**31}", json={"name": "x"})
        assert response.status_code == 404, method
