"""Reading query strings and forms: whole numbers and multi-valued filters."""

from __future__ import annotations

from collections.abc import Iterable

from flask import request

from kb.params import int_arg, page_arg  # noqa: F401  (re-exported for the pages)

#: the longest filter value worth looking up (longer ones cannot match anything)
VALUE_MAX = 200


def filters_from(keys: Iterable[str]) -> dict[str, list[str]]:
    """Only the filters this page knows, without blanks or duplicates, in the order given."""
    out: dict[str, list[str]] = {}
    for key in keys:
        values: list[str] = []
        for value in request.args.getlist(key):
            value = value.strip()[:VALUE_MAX]
            if value and value not in values:
                values.append(value)
        if values:
            out[key] = values
    return out


def args_with(base: dict[str, list[str]], **changes) -> dict[str, list[str] | str]:
    """Query arguments for a link: `base` with some keys replaced (None removes a key)."""
    out: dict[str, list[str] | str] = {
        k: list(v) if isinstance(v, list | tuple) else v for k, v in base.items() if v
    }
    for key, value in changes.items():
        if value in (None, "", []):
            out.pop(key, None)
        else:
            out[key] = value
    return out
