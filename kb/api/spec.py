"""The API's contract: spectree reads the pydantic models each view declares
(`@contract(json=..., query=..., ok=..., errors=...)`), parses the request with them before the
view runs and generates the OpenAPI document served at /api/openapi.json.

What the models cannot say is added once, over the generated document, from the places that
enforce it: the views' `@needs` (security of each operation), kb.params (ranges of whole numbers
in paths and query strings), kb.api.body (every JSON body may be a 400 or a 413) and
kb.api.textrule (the character rule on everything a client sends).
"""

from __future__ import annotations

import re

from flask import current_app, request
from pydantic import BaseModel
from pydantic import ValidationError as ModelError
from spectree import Response, SpecTree
from spectree.plugins.base import Context
from spectree.plugins.flask_plugin import FlaskPlugin
from spectree.utils import get_multidict_items

from kb.access_rules import PRODUCER, PUBLIC, READER, needs, rule_for
from kb.api import body, bp
from kb.api.limits import LIMITS, bound_path_integers
from kb.api.models.common import Error
from kb.api.plain import first_problem
from kb.api.textrule import TEXT_JSON, TEXT_JSON_SCHEMA, state_text_rule
from kb.core.errors import ValidationError

ERROR = {"$ref": "#/components/schemas/Error"}
MESSAGES = {
    400: "Invalid input",
    401: "Not signed in, or an unknown token",
    403: "Not allowed",
    404: "Not found",
    409: "Changed or done meanwhile",
    413: "Too large",
    415: "Not a media type kb reads",
    422: "Cannot be rendered within limits",
    428: "Missing version",
}
SECURITY_SCHEMES = {
    "token": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token (your account page): Authorization: Bearer <token>. "
        "A read-only token may only read.",
    },
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "kb_session",
        "description": "kb's own pages: the session cookie of a signed-in user",
    },
    "csrf": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRFToken",
        "description": "With the session cookie, every call that changes something carries "
        "the page's CSRF token (400 without it)",
    },
    "producer": {
        "type": "apiKey",
        "in": "header",
        "name": "webhook-signature",
        "description": "A producer's Standard Webhooks signature (with webhook-id and "
        "webhook-timestamp), or its token as Authorization: Bearer",
    },
}
#: endpoint -> {media type: model}: bodies their views read themselves (kb.api.events)
MEDIA: dict[str, dict] = {}
#: endpoint -> the media type of its success answer when it is not JSON (kb.api.bpmn)
ANSWER_MEDIA: dict[str, str] = {}


class _Plugin(FlaskPlugin):
    """spectree's Flask plugin, where the view parses the request when it asks
    (`parsed_body()`, `parsed_query()`): after its own checks of who may do what (a 403
    before a 400), and with the body read by kb.api.body (size, depth, duplicate members,
    NaN: refused before any view runs) instead of Flask's lenient get_json."""

    def request_validation(self, request, query, json, form, headers, cookies):  # noqa: ANN001
        request.context = Context(query, json, None, None, None)


def _parse(model: type[BaseModel], value: object, where: str) -> BaseModel:
    """The model's instance, or a 400 that names the field in plain words."""
    try:
        return model.model_validate(value)
    except ModelError as error:
        message, field, details = first_problem(error, where, getattr(model, "hints", {}))
        raise ValidationError(message, field=field, details=details) from None


def _after(req, resp, error, instance, adapter) -> None:  # noqa: ANN001, ARG001
    if error is not None:  # kb's answer disagrees with its own document: a bug, logged
        raise RuntimeError(f"{request.endpoint} answered outside its model: {error}")


spec = SpecTree(
    "flask",
    backend=_Plugin,
    mode="strict",
    annotations=False,
    validation_error_status=400,
    validation_error_model=Error,
    after=_after,
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _p, child: child,
    title="kb — the PMO's corporate memory",
    version="1",
    description=LIMITS,
)


def contract(
    *,
    ok: tuple[int, type[BaseModel] | None],
    errors: tuple[int, ...] = (),
    query: type[BaseModel] | None = None,
    json: type[BaseModel] | None = None,
    media: dict | None = None,
    answer_media: str | None = None,
    **described: str,
):
    """The view's contract: `ok` (status, model), the error statuses it may answer (beyond
    those the document adds for every body, path number and security rule), the query and
    body models. `described`: HTTP_409="why" to say when an error happens (a status said so
    is answered too: `errors` lists those told in the general words of MESSAGES). `media`: for a
    view that reads its body itself, each media type it takes and its model (None: any).
    `answer_media`: the media type of a success answer that is not JSON (a file)."""

    def decorate(view):  # noqa: ANN001, ANN202
        if media is not None:
            MEDIA[f"{bp.name}.{view.__name__}"] = media
        if answer_media is not None:
            ANSWER_MEDIA[f"{bp.name}.{view.__name__}"] = answer_media
        return _validate(view, ok, errors, query, json, described)

    return decorate


def transition_contract(answer: type[BaseModel], body: type[BaseModel], *, of: str, refused: str):  # noqa: ANN201
    """The contract of a route that moves a document `of` (a kind, in words) to its next status:
    200 with `answer`; 400 when the move is not one it may take now (`refused` says which); 403
    when the move is not the caller's to make; 404; 409 when the document changed since the
    version the caller sent."""
    return contract(
        ok=(200, answer),
        json=body,
        errors=(404,),
        HTTP_400=refused,
        HTTP_403="Not yours to do",
        HTTP_409=f"The {of} changed meanwhile",
    )


def _validate(view, ok, errors, query, json, described):  # noqa: ANN001, ANN202
    answers = {f"HTTP_{ok[0]}": ok[1]} if ok[1] else {}
    for code in sorted(set(errors) | {int(key[5:]) for key in described}):
        key = f"HTTP_{code}"
        answers[key] = (Error, described.get(key, MESSAGES[code]))
    codes = [] if ok[1] else [f"HTTP_{ok[0]}"]
    return spec.validate(query=query, json=json, resp=Response(*codes, **answers))(view)


def parsed_body():  # noqa: ANN201
    """The JSON body as the view's model parses it, or a 400 naming the field."""
    model = request.context.json
    value = body.read_json(request)
    return _parse(model, {} if value is None else value, "body")


def parsed_query():  # noqa: ANN201
    """The query string as the view's model parses it, or a 400 naming the parameter."""
    model = request.context.query
    return _parse(model, get_multidict_items(request.args, model), "query")


def _security(rule: str | None, method: str) -> list[dict]:
    if rule in (None, PUBLIC):
        return []
    if rule == PRODUCER:
        return [{"producer": []}, {"token": []}]
    session = {"session": []} if method == "get" else {"session": [], "csrf": []}
    anonymous = [{}] if rule == READER and current_app.config["KB_ANONYMOUS_READ"] else []
    return [{"token": []}, session, *anonymous]


def _from_routes(paths: dict, components: dict) -> None:
    """What each route says beyond its models: its security from what its view declared
    (kb.access_rules.needs) with the 401 and 403 that come with it; the media types of a body its
    view reads itself; that a body whose members are all optional may be left out."""
    for rule in current_app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method, operation in paths.get(path, {}).items():
            if method.upper() not in rule.methods:
                continue
            view = current_app.view_functions[rule.endpoint]
            need = rule_for(rule.endpoint, view, method.upper())
            operation["security"] = _security(need, method)
            for code in {PUBLIC: (), None: (), PRODUCER: (401,)}.get(need, (401, 403)):
                operation["responses"].setdefault(str(code), _error_answer(code))
            if rule.endpoint in ANSWER_MEDIA:
                ok = next(code for code in operation["responses"] if code.startswith("2"))
                operation["responses"][ok] = {
                    **operation["responses"][ok],
                    "content": {ANSWER_MEDIA[rule.endpoint]: {"schema": {"type": "string"}}},
                }
            if rule.endpoint in MEDIA:
                operation["requestBody"] = _media(MEDIA[rule.endpoint], components)
            elif "requestBody" in operation:
                ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                if not components[ref.rsplit("/", 1)[-1]].get("required"):
                    operation["requestBody"] = {**operation["requestBody"], "required": False}


def _media(media: dict, components: dict) -> dict:
    content = {}
    for mimetype, model in media.items():
        if model is None:
            content[mimetype] = {"schema": {}}
            continue
        item = getattr(model, "__args__", (model,))[0]  # list[X] -> X
        schema = item.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(schema.pop("$defs", {}))
        components[item.__name__] = schema
        ref = {"$ref": f"#/components/schemas/{item.__name__}"}
        content[mimetype] = {
            "schema": {"type": "array", "items": ref} if item is not model else ref
        }
    return {"required": True, "content": content}


def _error_answer(code: int) -> dict:
    return {"description": MESSAGES[code], "content": {"application/json": {"schema": ERROR}}}


def document() -> dict:
    generated = spec.spec
    paths = {p: {m: dict(op) for m, op in ops.items()} for p, ops in generated["paths"].items()}
    for operations in paths.values():
        for operation in operations.values():
            operation.pop("tags", None)
            if not operation.get("description"):
                operation.pop("description", None)
            operation["responses"] = dict(operation["responses"])
    components = {**generated["components"]["schemas"], TEXT_JSON: TEXT_JSON_SCHEMA}
    _from_routes(paths, components)
    bound_path_integers(paths, current_app.url_map)
    body.document_errors(paths, ERROR)
    return {
        "openapi": generated["openapi"],
        "info": generated["info"],
        "paths": state_text_rule(paths, components, ERROR),
        "components": {"schemas": components, "securitySchemes": SECURITY_SCHEMES},
    }


@bp.get("/openapi.json")
@contract(ok=(200, None))
@needs(PUBLIC)
def openapi_json():
    """This document (OpenAPI 3.1)"""
    return document()
