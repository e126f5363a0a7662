"""/api/subscriptions: outbound webhooks and their delivery log.

The secret is in the answers of create and rotate only. Accounts and roles arrive later;
until then these routes are open like the rest of the API (then: admins only).
"""

from __future__ import annotations

from flask import request, url_for

from kb.api import bp, openapi
from kb.api.body import read_object
from kb.context import current
from kb.core.errors import NotFound, ValidationError
from kb.core.time import iso
from kb.events.webhooks import delivery as webhooks
from kb.events.webhooks import ping, subscriptions
from kb.events.webhooks.models import Subscription
from kb.params import int_arg
from kb.security import viewer

FIELDS = {"name", "url", "types", "is_active"}
DELIVERIES_MAX = 500


def delivery_json(d: subscriptions.Delivery) -> dict:
    return {
        "id": d.id, "run_id": d.run_id, "event_seq": d.event_seq, "event_id": d.event_id,
        "event_type": d.event_type, "attempted_at": iso(d.attempted_at),
        "status_code": d.status_code, "duration_ms": d.duration_ms, "error": d.error,
        "ok": d.ok, "run_status": d.run_status,
        "next_attempt_at": iso(d.next_attempt_at) if d.next_attempt_at else None,
    }  # fmt: skip


def subscription_json(sub: Subscription, last: subscriptions.Delivery | None = None) -> dict:
    return {
        "id": sub.id, "name": sub.name, "url": sub.url, "types": list(sub.types or []),
        "is_active": sub.is_active, "disabled_reason": sub.disabled_reason,
        "created_at": iso(sub.created_at),
        "last_delivery": delivery_json(last) if last else None,
    }  # fmt: skip


def _body(*, required: tuple[str, ...] = ()) -> dict:
    body = read_object(request)
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        hint = " (use POST /api/subscriptions/<id>/rotate)" if "secret" in unknown else ""
        raise ValidationError(
            f"Unknown field(s): {', '.join(unknown)}{hint}. Known: name, url, types, is_active.",
            field=unknown[0],
        )
    for name in required:
        if name not in body:
            raise ValidationError(f"`{name}` is required.", field=name)
    return body


def _get_or_404(subscription_id: int) -> Subscription:
    sub = subscriptions.get_subscription(current().db, subscription_id)
    if sub is None:
        raise NotFound(f"There is no subscription {subscription_id}.")
    return sub


@bp.get("/subscriptions")
def list_subscriptions():
    db = current().db
    last = subscriptions.last_deliveries(db)
    return {
        "subscriptions": [
            subscription_json(s, last.get(s.id)) for s in subscriptions.list_subscriptions(db)
        ]
    }


@bp.post("/subscriptions")
def create_subscription():
    body = _body(required=("name", "url"))
    sub, secret = subscriptions.create_subscription(
        current().db,
        name=body["name"],
        url=body["url"],
        types=body.get("types"),
        owner=viewer().username,
    )
    out = subscription_json(sub) | {"secret": secret}
    return out, 201, {"Location": url_for("api.get_subscription", subscription_id=sub.id)}


@bp.get("/subscriptions/<int:subscription_id>")
def get_subscription(subscription_id: int):
    sub = _get_or_404(subscription_id)
    last = subscriptions.list_deliveries(current().db, sub.id, limit=1)
    return subscription_json(sub, last[0] if last else None)


@bp.put("/subscriptions/<int:subscription_id>")
def update_subscription(subscription_id: int):
    body = _body()
    for key in ("name", "url", "is_active"):
        if key in body and body[key] is None:
            raise ValidationError(f"`{key}` may not be null.", field=key)
    if "types" in body and body["types"] is None:
        body["types"] = []  # null: every kb event, like []
    sub = subscriptions.update_subscription(current().db, subscription_id, **body)
    return subscription_json(sub)


@bp.post("/subscriptions/<int:subscription_id>/rotate")
def rotate_subscription_secret(subscription_id: int):
    sub, secret = subscriptions.rotate_secret(current().db, subscription_id)
    return subscription_json(sub) | {"secret": secret}


@bp.post("/subscriptions/<int:subscription_id>/test")
def test_subscription(subscription_id: int):
    seq, event_id = ping.send_test_event(current().db, subscription_id, actor=viewer().actor)
    return {"event_seq": seq, "event_id": event_id, "type": ping.TEST_TYPE}, 202


@bp.get("/subscriptions/<int:subscription_id>/deliveries")
def list_subscription_deliveries(subscription_id: int):
    sub = _get_or_404(subscription_id)
    limit = int_arg("limit", 50)
    if not 1 <= limit <= DELIVERIES_MAX:
        raise ValidationError(f"`limit` is between 1 and {DELIVERIES_MAX}.", field="limit")
    return {"deliveries": [delivery_json(d) for d in subscriptions.list_deliveries(
        current().db, sub.id, limit=limit)]}  # fmt: skip


# --- OpenAPI -------------------------------------------------------------------------------

_ID = [{"name": "subscription_id", "in": "path", "required": True, "schema": {"type": "integer"}}]
_ERR = {"content": {"application/json": {"schema": openapi.ERROR}}}
_DELIVERY = {"type": "object", "properties": {
    "id": {"type": "integer"}, "run_id": {"type": "integer"}, "event_seq": {"type": "integer"},
    "event_id": {"type": "string"}, "event_type": {"type": "string"},
    "attempted_at": {"type": "string", "format": "date-time"},
    "status_code": {"type": ["integer", "null"]}, "duration_ms": {"type": ["integer", "null"]},
    "error": {"type": ["string", "null"]}, "ok": {"type": "boolean"},
    "run_status": {"enum": ["pending", "running", "done", "dead", "cancelled"]},
    "next_attempt_at": {"type": ["string", "null"], "format": "date-time",
                        "description": "when a failed delivery is tried again (on its latest attempt)"}}}  # fmt: skip
_SUB = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "url": {"type": "string"},
    "types": {"type": "array", "items": {"type": "string"},
              "description": "fnmatch patterns such as org.pmo.kb.lesson.*; empty = every kb event"},
    "is_active": {"type": "boolean"}, "disabled_reason": {"type": ["string", "null"]},
    "created_at": {"type": "string", "format": "date-time"},
    "last_delivery": {"oneOf": [_DELIVERY, {"type": "null"}]}}}  # fmt: skip
_WITH_SECRET = {"allOf": [_SUB], "properties": {"secret": {
    "type": "string", "description": "whsec_...: shown in this answer only"}}}  # fmt: skip
_WRITE = {"type": "object", "additionalProperties": False, "properties": {
    "name": {"type": "string", "maxLength": webhooks.NAME_MAX, "pattern": "\\S"},
    "url": {"type": "string", "maxLength": webhooks.URL_MAX, "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.-]+(:[0-9]{1,4})?(/[!-?A-~]*)?$",
            "description": "http(s), no credentials"},
    "types": {"type": "array", "maxItems": webhooks.PATTERNS_MAX,
              "items": {"type": "string", "maxLength": webhooks.PATTERN_MAX, "pattern": "^org[.]pmo[.]kb[.][A-Za-z0-9.*_-]*$"}},
    "is_active": {"type": "boolean"}}}  # fmt: skip


def _ok(status: str, schema: dict, *errors: int) -> dict:
    out = {status: {"description": "OK", "content": {"application/json": {"schema": schema}}}}
    messages = {400: "Invalid input", 404: "Not found"}
    return out | {str(code): {"description": messages[code]} | _ERR for code in errors}


def _json_body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


openapi.EXTRA_PATHS["/api/subscriptions"] = {
    "get": {"summary": "Outbound webhook subscriptions with their latest delivery attempt",
            "responses": _ok("200", {"type": "object", "properties": {
                "subscriptions": {"type": "array", "items": _SUB}}})},
    "post": {"summary": "Subscribe a URL to kb's events; the answer holds the secret, once",
             "requestBody": _json_body(_WRITE | {"required": ["name", "url"]}),
             "responses": _ok("201", _WITH_SECRET, 400)},
}  # fmt: skip
openapi.EXTRA_PATHS["/api/subscriptions/{subscription_id}"] = {
    "get": {"summary": "One subscription (never its secret)", "parameters": _ID,
            "responses": _ok("200", _SUB, 404)},
    "put": {"summary": "Change name, url, types or is_active (fields left out stay as they are)",
            "parameters": _ID, "requestBody": _json_body(_WRITE),
            "responses": _ok("200", _SUB, 400, 404)},
}  # fmt: skip
openapi.EXTRA_PATHS["/api/subscriptions/{subscription_id}/rotate"] = {
    "post": {"summary": "A new secret (the old one stops working at once); shown in this answer only",
             "parameters": _ID, "responses": _ok("200", _WITH_SECRET, 404)},
}  # fmt: skip
openapi.EXTRA_PATHS["/api/subscriptions/{subscription_id}/test"] = {
    "post": {"summary": f"Send this subscription alone a test event ({ping.TEST_TYPE}) through the normal signed delivery",
             "parameters": _ID, "responses": _ok("202", {"type": "object", "properties": {
                 "event_seq": {"type": "integer"}, "event_id": {"type": "string"},
                 "type": {"type": "string"}}}, 404) | {"409": {"description": "The subscription is disabled"} | _ERR}},
}  # fmt: skip
openapi.EXTRA_PATHS["/api/subscriptions/{subscription_id}/deliveries"] = {
    "get": {"summary": "The delivery log: every HTTP attempt, newest first",
            "parameters": _ID + [{"name": "limit", "in": "query",
                                  "schema": {"type": "integer", "minimum": 1, "maximum": DELIVERIES_MAX}}],
            "responses": _ok("200", {"type": "object", "properties": {
                "deliveries": {"type": "array", "items": _DELIVERY}}}, 400, 404)},
}  # fmt: skip
