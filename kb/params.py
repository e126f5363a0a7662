"""Reading request parameters, shared by the HTML pages and the JSON API."""

from __future__ import annotations

from flask import request

from kb.core.errors import ValidationError


def int_arg(name: str, default: int, *, source=None) -> int:  # noqa: ANN001
    """A whole-number parameter (query string unless `source` is given), or a clear 400."""
    raw = (source if source is not None else request.args).get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValidationError(
            f"`{name}` must be a whole number, not '{raw[:40]}'.", field=name
        ) from None
