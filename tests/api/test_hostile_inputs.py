"""Hostile input on both databases: a 4xx with a readable message, and nothing written.

One test per class of input. JSON routes are enumerated from app.url_map, so a route added
later is covered without editing this file.
"""

from __future__ import annotations

import html
import json
import re

import pytest
from sqlalchemy import func, select

from kb.api import OWN_BODY_READERS
from kb.core.jsonbody import MAX_BYTES
from kb.db import Base


def row_counts(kb) -> dict[str, int]:
    """Rows in every table: what "nothing written" means."""
    with kb.db.read() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }


def json_routes(app) -> list[tuple[str, str, str]]:
    """(method, path with sample arguments, endpoint) of every /api route that takes a body."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH"}):
            path = re.sub(r"<(?:int|seq):\w+>", "1", rule.rule)
            path = re.sub(r"<(?:\w+:)?\w+>", "LL-2025-0001", path)
            routes.append((method, path, rule.endpoint))
    return routes


def test_the_routes_are_found(app):
    endpoints = {endpoint for _, _, endpoint in json_routes(app)}
    # the routes the issue named, so an empty enumeration cannot pass unnoticed
    assert {
        "api.create_lesson",
        "api.preview",
        "api.lesson_transition",
        "api.close_action",
        "api.update_lesson",
        "api.create_subscription",
    } <= endpoints
    assert len(endpoints) >= 15


HOSTILE_BODIES = {
    "nested 5,000 deep": (b"[" * 5000 + b"]" * 5000, 400, "nested more than"),
    "object nested 5,000 deep": (b'{"a":' * 5000 + b"1" + b"}" * 5000, 400, "nested more than"),
    "5,000-digit integer": (b'{"version": ' + b"7" * 5000 + b"}", 400, "digits"),
    "NaN": (b'{"version": NaN, "note": 1}', 400, "NaN is not a JSON value"),
    "lone surrogate escape": (b'{"title": "x\\ud800", "note": "\\udfff"}', 400, "lone surrogate"),
    "NUL escape": (b'{"title": "x\\u0000", "note": "\\u0000"}', 400, "U+0000 (NUL)"),
    "escape character": (b'{"note": "\\u001b[31m"}', 400, "U+001B"),
    "invalid UTF-8": (b'{"note": "\xff\xfe"}', 400, "not valid UTF-8"),
    "not JSON": (b'{"note": ', 400, "not valid JSON"),
    "a member twice": (b'{"note": "a", "note": "b"}', 400, "appears twice"),
    "over the size limit": (b'{"note": "' + b"a" * MAX_BYTES + b'"}', 413, ""),
}


@pytest.mark.parametrize(
    ("body", "status", "fragment"), HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys()
)
def test_hostile_json_bodies_are_refused_on_every_route(app, kb, client, body, status, fragment):
    before = row_counts(kb)
    for method, path, endpoint in json_routes(app):
        response = client.open(
            path, method=method, data=body, headers={"Content-Type": "application/json"}
        )
        error = (response.get_json(silent=True) or {}).get("error", {})
        if endpoint in OWN_BODY_READERS:  # CloudEvents: the sender is authenticated first
            assert 400 <= response.status_code < 500, (path, response.status_code)
            continue
        assert response.status_code == status, (method, path, response.status_code, error)
        assert fragment in error.get("message", ""), (path, error)
    assert row_counts(kb) == before


def test_a_json_body_with_another_content_type_is_refused(app, client):
    for method, path, endpoint in json_routes(app):
        if endpoint in OWN_BODY_READERS:
            continue
        response = client.open(path, method=method, data="note=x", content_type="text/plain")
        assert response.status_code == 400, path
        assert "Content-Type: application/json" in response.json["error"]["message"]


# --- text in documents: API and web form -------------------------------------------------

LESSON = "---\ntitle: {title}\ntype: lesson\n---\n\n{body}\n"
# title and body as the Markdown source has them; the answer's words (a regular expression);
# whether the same title and body sent as JSON fields must be refused too
BAD_TEXT = {
    "surrogate in the title": ("Late \ud800 spec", "Body", "lone surrogate", True),
    "surrogate in the body": ("Late spec", "Bo\udfffdy", "lone surrogate", True),
    "NUL in the body": ("Late spec", "Bo\x00dy", "NUL", True),
    "escape in the body": ("Late spec", "\x1b[31mred", "U\\+001B", True),
    "blank title": ("'   '", "Body", "may not be blank", True),
    "invisible title": ("\u200b\u200b", "Body", "may not be blank", True),
    "5,000-digit title": ("9" * 5000, "Body", "5,000 digits|5000 characters long", True),
    "NaN in front matter": ("Late spec\nscore: .nan", "Body", "\\.nan", False),
    "infinity in front matter": ("Late spec\nscore: -.inf", "Body", "\\.inf", False),
    "YAML escape of NUL": ('Late spec\nnote: "a\\0b"', "Body", "U\\+0000", False),
    "YAML escape of ESC in a key": ('Late spec\n"k\\e": 1', "Body", "U\\+001B", False),
}
CASES = {name: case[:3] for name, case in BAD_TEXT.items()}


def _escaped(value) -> bytes:
    """JSON as a client would send it: a lone surrogate travels as a \\ud800 escape."""
    return json.dumps(value, ensure_ascii=True).encode("ascii")


def _api_attempts(title: str, body: str, as_fields: bool) -> list[dict]:
    attempts = [{"markdown": LESSON.format(title=title, body=body)}]
    if as_fields:
        attempts.append({"title": title.strip("'"), "body": body})
    return attempts


@pytest.mark.parametrize(
    ("title", "body", "fragment", "as_fields"), BAD_TEXT.values(), ids=BAD_TEXT.keys()
)
def test_bad_text_in_documents_is_refused_by_the_api(kb, client, title, body, fragment, as_fields):
    made = client.post("/api/lessons", json={"title": "Original", "body": "Text"})
    assert made.status_code == 201
    doc_id, version = made.json["id"], made.json["version"]
    before = row_counts(kb)
    for attempt in _api_attempts(title, body, as_fields):
        for method, path, extra in [
            ("POST", "/api/lessons", {}),
            ("PUT", f"/api/lessons/{doc_id}", {"version": version}),
            ("POST", "/api/preview", {}),
        ]:
            response = client.open(
                path,
                method=method,
                data=_escaped({**attempt, **extra}),
                content_type="application/json",
            )
            assert response.status_code == 400, (path, attempt, response.json)
            assert re.search(fragment, response.json["error"]["message"]), response.json
    assert row_counts(kb) == before


@pytest.mark.parametrize(("title", "body", "fragment"), CASES.values(), ids=CASES.keys())
def test_bad_text_in_documents_is_refused_by_the_web_form(kb, client, title, body, fragment):
    source = LESSON.format(title=title, body=body)
    # a form is UTF-8: a lone surrogate can only arrive as the bytes a broken encoder makes,
    # which the form parser turns into U+FFFD (as browsers do); the rest arrives as it is
    form = source.encode("utf-8", "surrogatepass")
    before = row_counts(kb)
    response = client.post(
        "/lessons/new",
        data=b"markdown=" + _form_quote(form),
        content_type="application/x-www-form-urlencoded",
    )
    if "surrogate" in fragment:
        assert response.status_code in (303, 400)
        for table in ("document_revisions", "documents"):
            assert row_counts(kb)[table] - before[table] in (0, 1)
        with kb.db.read() as session:
            for (markdown,) in session.execute(
                select(Base.metadata.tables["document_revisions"].c.markdown)
            ):
                markdown.encode("utf-8")  # no lone surrogate was stored
        return
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(fragment, html.unescape(page))
    assert "<textarea" in page  # the form is shown again with the text kept
    assert row_counts(kb) == before


def _form_quote(raw: bytes) -> bytes:
    return b"".join(b"%%%02X" % byte for byte in raw)


# --- the address and other form fields ----------------------------------------------------

ADDRESSES = [
    "/lessons/%00",
    "/lessons?project=%00",
    "/lessons?%00=x",
    "/api/lessons/LL-2025-0001%00",
    "/api/lessons?project=%00",
    "/api/search?q=risk%00",
    "/search?q=risk%1b",
    "/api/lessons?tag=%7f",
]


@pytest.mark.parametrize("path", ADDRESSES)
def test_control_characters_in_the_address_are_refused(kb, client, path):
    before = row_counts(kb)
    response = client.get(path)
    assert response.status_code == 400
    assert "kb accepts no NUL" in response.get_data(as_text=True)
    assert row_counts(kb) == before


def test_control_characters_in_form_fields_are_refused(kb, client):
    before = row_counts(kb)
    source = LESSON.format(title="Late spec", body="Body")
    response = client.post("/lessons/new", data={"markdown": source, "message": "why\x00"})
    assert response.status_code == 400
    assert "The form field <code>message</code>" in response.get_data(as_text=True)
    assert row_counts(kb) == before


@pytest.mark.parametrize("q", ['"plan, risk"', 'tag:"vendor, interface"', 'project:"a b"'])
def test_phrases_on_keyword_fields_are_answered(client, q):
    assert client.get("/search", query_string={"q": q}).status_code == 200
    assert client.get("/api/search", query_string={"q": q}).status_code == 200


BLANKS = ["   ", "\t\n", "\u3000", "\u200b\u200b", "\ufeff\u200e"]


@pytest.mark.parametrize(
    "blank", BLANKS, ids=["spaces", "tab-newline", "ideographic", "zero-width", "bom-mark"]
)
def test_blank_titles_and_names_are_refused(kb, client, blank):
    lesson = client.post(
        "/api/lessons", json={"title": "Original", "body": "Text", "status": "published"}
    )
    assert lesson.status_code == 201
    before = row_counts(kb)
    attempts = [
        ("/api/lessons", {"title": blank, "body": "Text"}, "title"),
        (
            "/api/lessons",
            {"markdown": f"---\ntype: lesson\ntitle: {json.dumps(blank)}\n---\nText"},
            "title",
        ),
        ("/api/subscriptions", {"name": blank, "url": "https://example.org/hook"}, "name"),
        (
            f"/api/lessons/{lesson.json['id']}/actions",
            {"description": blank, "owner": "ops", "due_on": "2030-01-01"},
            "description",
        ),
    ]
    for path, body, field in attempts:
        response = client.post(path, json=body)
        assert response.status_code == 400, (path, response.json)
        assert response.json["error"]["field"] == field
    assert row_counts(kb) == before


def test_the_openapi_document_lists_the_body_errors_of_every_json_route(app, client):
    paths = client.get("/api/openapi.json").json["paths"]
    for method, _path, endpoint in json_routes(app):
        if endpoint in OWN_BODY_READERS:
            continue
        documented = re.sub(
            r"<(?:\w+:)?(\w+)>",
            r"{\1}",
            next(r.rule for r in app.url_map.iter_rules() if r.endpoint == endpoint),
        )
        responses = paths[documented][method.lower()]["responses"]
        assert {"400", "413"} <= set(responses), (method, documented)
