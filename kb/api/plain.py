"""A request its model refuses, said in plain words: which field, what is wrong, what to send."""

from __future__ import annotations

from pydantic import ValidationError as ModelError

#: pydantic's error types, as a person reads them ({f} is the field, the rest pydantic's ctx)
_SAY = {
    "missing": "`{f}` is required.",
    "extra_forbidden": "`{f}` is not a field here.",
    "string_type": "`{f}` must be a string.",
    "int_type": "`{f}` must be a whole number.",
    "int_parsing": "`{f}` must be a whole number, not '{input}'.",
    "int_from_float": "`{f}` must be a whole number.",
    "bool_type": "`{f}` must be true or false.",
    "bool_parsing": "`{f}` must be 1 or 0, not '{input}'.",
    "list_type": "`{f}` must be a list.",
    "dict_type": "`{f}` must be a JSON object.",
    "model_type": "Send a JSON object (Content-Type: application/json).",
    "model_attributes_type": "Send a JSON object (Content-Type: application/json).",
    "string_too_short": "`{f}` may not be empty.",
    "string_too_long": "`{f}` is {length} characters long; at most {max_length:,} are allowed.",
    "string_pattern_mismatch": "`{f}` is not in the expected form ({pattern}).",
    "too_long": "`{f}` holds at most {max_length:,} values.",
    "greater_than_equal": "`{f}` must be at least {ge:,}; it was {input}.",
    "less_than_equal": "`{f}` must be at most {le:,}; it was {input}.",
    "literal_error": "`{f}` must be one of: {expected}; not '{input}'.",
    "enum": "`{f}` must be one of: {expected}; not '{input}'.",
}


def _field(loc: tuple) -> str:
    return ".".join(str(part) for part in loc) if loc else ""


def _say(error: dict) -> str:
    field = _field(error["loc"])
    template = _SAY.get(error["type"])
    context = {k: v for k, v in (error.get("ctx") or {}).items()}
    if "expected" in context:  # pydantic writes "'a', 'b' or 'c'"
        context["expected"] = str(context["expected"]).replace("'", "").replace(" or ", ", ")
    raw = error.get("input")
    context["length"] = len(raw) if isinstance(raw, (str, list)) else 0
    if error["type"] == "string_pattern_mismatch" and context.get("pattern") == r"\S":
        return f"`{field}` may not be blank."
    context["input"] = str(raw)[:40] if isinstance(raw, (str, int, float)) else type(raw).__name__
    try:
        if template:
            return template.format(f=field, **context)
    except (KeyError, ValueError):
        pass
    message = error["msg"].removeprefix("Value error, ").rstrip(".")
    return f"`{field}`: {message}." if field else f"{message}."


def first_problem(
    error: ModelError, where: str, hints: dict[str, str]
) -> tuple[str, str | None, dict | None]:
    """(message, field, details): the first problem in words (with the model's hint for that
    field, if it has one); every field's in details."""
    errors = error.errors(include_url=False)
    first = errors[0]
    field = _field(first["loc"]) or None
    message = _say(first)
    if field in hints:
        message = f"{message[:-1]}: {hints[field]}."
    if where == "query" and first["type"] == "missing":
        message = f"`{field}` is required in the query string."
    by_field = {_field(e["loc"]) or "body": _say(e) for e in errors}
    return message, field, {"fields": by_field} if len(by_field) > 1 else None
