"""One error handler (kb.errors): the same answer for each kind of error, in JSON or as the
error page, decided once per request by wants_json()."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from kb.access_rules import PUBLIC, needs
from kb.errors import wants_json

KB = Path(__file__).resolve().parents[1] / "kb"
SECRET = "internal detail: /srv/kb/secret.cfg"
BIG = "x" * (3 * 1024 * 1024)  # over MAX_CONTENT_LENGTH (2 MiB) and the API's body limit

#: kind -> (method, web path, API path, request arguments, status, JSON codes)
CASES = {
    "domain error": ("GET", "/lessons?page=0", "/api/lessons?page=0", {}, 400, {"invalid"}),
    "http 404": ("GET", "/no-such-page", "/api/no-such-thing", {}, 404, {"not_found"}),
    "http 405": ("DELETE", "/login", "/api/openapi.json", {}, 405, {"method_not_allowed"}),
    # the API reads its bodies itself and says TooLarge; werkzeug's limit stops the form
    "http 413": (
        "POST",
        "/lessons/new",
        "/api/lessons",
        {"data": BIG, "content_type": "application/json"},
        413,
        {"too_large", "request_entity_too_large"},
    ),
    "unexpected": ("GET", "/test-boom", "/api/test-boom", {}, 500, {"internal"}),
}
WHERE = {
    "api path": ("api", {}),
    "web path": ("web", {}),
    "web path asking for JSON": ("web", {"Accept": "application/json"}),
}


@needs(PUBLIC)
def _boom():
    raise RuntimeError(SECRET)


@pytest.fixture
def boom(app):
    """Test-only routes that fail with an exception nobody expected."""
    app.add_url_rule("/test-boom", "test_boom", _boom)
    app.add_url_rule("/api/test-boom", "test_boom_api", _boom)


@pytest.mark.parametrize("where", list(WHERE))
@pytest.mark.parametrize("kind", list(CASES))
def test_each_error_is_answered_the_same_way_wherever_it_happens(client, boom, caplog, kind, where):
    method, web_path, api_path, arguments, status, codes = CASES[kind]
    side, headers = WHERE[where]
    with caplog.at_level(logging.INFO, logger="kb.errors"):
        response = client.open(
            web_path if side == "web" else api_path, method=method, headers=headers, **arguments
        )
    assert response.status_code == status
    text = response.get_data(as_text=True)
    if side == "api" or headers:
        assert response.mimetype == "application/json"
        error = response.get_json()["error"]
        assert error["code"] in codes
        assert isinstance(error["message"], str) and error["message"]
        assert set(error) <= {"code", "message", "field", "details"}
        if kind == "domain error":
            assert error["field"] == "page"
    else:
        assert response.mimetype == "text/html"
        assert f'<p class="error-code">Error {status}</p>' in text
        assert "<form" in text  # the error page, not werkzeug's bare one
    if kind == "unexpected":
        assert SECRET not in text and "RuntimeError" not in text
        assert "Something went wrong on our side; it has been logged." in text
        logged = [r for r in caplog.records if r.name == "kb.errors" and r.exc_info]
        assert logged and SECRET in str(logged[0].exc_info[1])
    else:
        assert not [r for r in caplog.records if r.exc_info]


def test_a_method_not_allowed_still_says_which_methods_are(client):
    for path in ("/login", "/api/openapi.json"):
        response = client.delete(path)
        assert response.status_code == 405
        assert "GET" in response.headers["Allow"], path


def test_a_cross_site_post_is_refused_with_its_own_message(client):
    response = client.post("/lessons/new", headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert "Forms can only be sent from kb&#39;s own pages." in response.get_data(as_text=True)
    response = client.post(
        "/lessons/new", headers={"Sec-Fetch-Site": "cross-site", "Accept": "application/json"}
    )
    assert response.get_json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    ("path", "accept", "expected"),
    [
        ("/api/lessons", None, True),
        ("/api", None, True),
        ("/healthz", "text/html", True),
        ("/lessons", "application/json", True),
        ("/lessons", "application/json, text/html;q=0.5", True),
        ("/lessons", None, False),
        ("/lessons", "*/*", False),  # fetch() without headers
        ("/lessons", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),
        ("/lessons", "text/html, application/json;q=0.5", False),
        ("/apis", None, False),
    ],
)
def test_wants_json_is_the_api_or_a_client_preferring_json(app, path, accept, expected):
    headers = {"Accept": accept} if accept else {}
    with app.test_request_context(path, headers=headers):
        assert wants_json() is expected


def test_no_other_module_registers_an_error_handler():
    """Two handlers for one error is how the JSON and HTML answers drifted apart."""
    pattern = re.compile(r"errorhandler\(|register_error_handler\(|error_handler_spec")
    found = [
        str(path.relative_to(KB))
        for path in KB.rglob("*.py")
        if path != KB / "errors.py" and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []
