"""/api/subscriptions and `kb subscriptions ...`."""

from __future__ import annotations

import pytest

from kb.cli.subscriptions import subscriptions as cli
from kb.events.jobs.models import HandlerRun
from kb.events.kinds.documents import LessonPublished
from kb.events.kinds.examples import example
from kb.events.log.services import append_event
from kb.events.webhooks import subscriptions
from kb.events.webhooks.models import DeliveryAttempt

NEW = {"name": "BI", "url": "https://bi.example.org/hooks/kb", "types": ["org.pmo.kb.lesson.*"]}


def test_create_shows_the_secret_once(client):
    response = client.post("/api/subscriptions", json=NEW)
    assert response.status_code == 201
    created = response.json
    assert created["secret"].startswith("whsec_")
    assert created["name"] == "BI" and created["types"] == ["org.pmo.kb.lesson.*"]
    assert created["is_active"] is True and created["last_delivery"] is None
    assert response.headers["Location"].endswith(f"/api/subscriptions/{created['id']}")

    listed = client.get("/api/subscriptions").json["subscriptions"]
    assert [s["id"] for s in listed] == [created["id"]]
    one = client.get(f"/api/subscriptions/{created['id']}").json
    for answer in (listed[0], one):
        assert "secret" not in answer and created["secret"] not in str(answer)
        assert answer["url"] == NEW["url"]


def test_update_rotate_and_not_found(client):
    sub = client.post("/api/subscriptions", json=NEW).json
    url = f"/api/subscriptions/{sub['id']}"
    changed = client.put(url, json={"name": "BI prod", "types": [], "is_active": False})
    assert changed.status_code == 200
    assert changed.json["name"] == "BI prod" and changed.json["types"] == []
    assert changed.json["is_active"] is False and changed.json["disabled_reason"]
    assert "secret" not in changed.json
    assert client.put(url, json={"is_active": True}).json["disabled_reason"] is None

    rotated = client.post(f"{url}/rotate")
    assert rotated.status_code == 200
    assert rotated.json["secret"].startswith("whsec_") and rotated.json["secret"] != sub["secret"]

    for method, path in (
        ("get", "/api/subscriptions/999"),
        ("put", "/api/subscriptions/999"),
        ("post", "/api/subscriptions/999/rotate"),
        ("get", "/api/subscriptions/999/deliveries"),
    ):
        response = getattr(client, method)(path, json={"name": "x"})
        assert response.status_code == 404, path
        assert response.json["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({**NEW, "url": "ftp://bi.example.org/x"}, "url", "https://"),
        ({**NEW, "url": "gopher://bi.example.org/x"}, "url", "https://"),
        ({**NEW, "url": "https://admin:hunter2@bi.example.org/x"}, "url", "password"),
        ({**NEW, "url": 42}, "url", "string"),
        ({**NEW, "types": "org.pmo.kb.*"}, "types", "list"),
        ({**NEW, "types": ["org.pmo.project.closed"]}, "types", "never match"),
        ({"url": NEW["url"]}, "name", "required"),
        ({**NEW, "secret": "whsec_mine"}, "secret", "rotate"),
    ],
)
def test_invalid_input_is_a_400_in_json(client, body, field, words):
    response = client.post("/api/subscriptions", json=body)
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "invalid" and error["field"] == field and words in error["message"]
    assert client.get("/api/subscriptions").json["subscriptions"] == []


def test_invalid_updates_are_400(client):
    sub = client.post("/api/subscriptions", json=NEW).json
    url = f"/api/subscriptions/{sub['id']}"
    for body in ({"url": "ftp://x.example/"}, {"is_active": "no"}, {"name": None}, ["x"]):
        response = client.put(url, json=body)
        assert response.status_code == 400 and response.json["error"]["message"], body
    assert client.post("/api/subscriptions", data="nope").status_code == 400


def test_deliveries_are_listed_newest_first(client, kb):
    sub = client.post("/api/subscriptions", json=NEW).json
    with kb.db.write() as s:
        event = append_event(s, example(LessonPublished, id="LL-1"))
        s.flush()
        run = HandlerRun(event_seq=event.seq, handler=f"webhook:{sub['id']}", status="dead")
        s.add(run)
        s.flush()
        for code in (503, 410):
            s.add(
                DeliveryAttempt(
                    run_id=run.id,
                    subscription_id=sub["id"],
                    event_seq=event.seq,
                    status_code=code,
                    duration_ms=7,
                    error=f"HTTP {code}",
                )
            )
            s.flush()
    log = client.get(f"/api/subscriptions/{sub['id']}/deliveries").json["deliveries"]
    assert [d["status_code"] for d in log] == [410, 503]
    assert log[0]["event_id"] == event.event_id and log[0]["run_status"] == "dead"
    assert log[0]["ok"] is False and log[0]["attempted_at"]
    assert (
        len(client.get(f"/api/subscriptions/{sub['id']}/deliveries?limit=1").json["deliveries"])
        == 1
    )
    assert client.get(f"/api/subscriptions/{sub['id']}/deliveries?limit=0").status_code == 400
    listed = client.get("/api/subscriptions").json["subscriptions"][0]
    assert listed["last_delivery"]["status_code"] == 410


def test_the_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json["paths"]
    assert set(paths["/api/subscriptions"]) == {"get", "post"}
    assert set(paths["/api/subscriptions/{subscription_id}"]) == {"get", "put"}
    assert "post" in paths["/api/subscriptions/{subscription_id}/rotate"]
    assert "get" in paths["/api/subscriptions/{subscription_id}/deliveries"]


# --- CLI -------------------------------------------------------------------------------------


def test_cli_add_list_disable(runner, kb):
    added = runner.invoke(
        cli,
        [
            "add",
            "BI",
            "https://bi.example.org/hooks/kb",
            "--type",
            "org.pmo.kb.lesson.*",
            "--type",
            "org.pmo.kb.review.*",
        ],
    )
    assert added.exit_code == 0, added.output
    secret = added.output.strip().splitlines()[-1]
    assert secret.startswith("whsec_")
    [sub] = subscriptions.list_subscriptions(kb.db)
    assert sub.secret == secret and sub.types == ["org.pmo.kb.lesson.*", "org.pmo.kb.review.*"]

    listed = runner.invoke(cli, ["list"])
    assert listed.exit_code == 0 and "BI" in listed.output and "active" in listed.output
    assert secret not in listed.output

    disabled = runner.invoke(cli, ["disable", str(sub.id)])
    assert disabled.exit_code == 0 and "disabled" in disabled.output
    assert not subscriptions.get_subscription(kb.db, sub.id).is_active
    assert "disabled (Disabled by hand" in runner.invoke(cli, ["list"]).output


def test_cli_refuses_bad_input(runner, kb):
    bad = runner.invoke(cli, ["add", "BI", "ftp://bi.example.org/"])
    assert bad.exit_code == 1 and "https://" in bad.output
    missing = runner.invoke(cli, ["disable", "999"])
    assert missing.exit_code == 1 and "no subscription 999" in missing.output
    assert subscriptions.list_subscriptions(kb.db) == []
    assert "No subscriptions." in runner.invoke(cli, ["list"]).output
