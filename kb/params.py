"""Reading request parameters, shared by the HTML pages and the JSON API.

Every number and every repeated value a request carries is bounded here, before any view
runs, so that no parameter can overflow a database integer (a 500) or make a page's work
grow with the square of what was sent (4,000 `tag=` values once took 38 s and 220 MB).
"""

from __future__ import annotations

import re

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from kb.core.errors import ValidationError

#: the largest id of an `integer` column (PostgreSQL int4): ids, revision numbers
ID_MAX = 2**31 - 1
#: the largest sequence number of a `bigint` column: the event log, notifications
SEQ_MAX = 2**63 - 1
#: the deepest page a list or a search goes to (page x per_page stays far below SQL's limits)
PAGE_MAX = 10_000
WHOLE = re.compile(r"[+-]?[0-9]{1,20}")
#: a query string may repeat one parameter (e.g. `tag`) this often...
VALUES_PER_PARAM = 20
#: ...and carry this many values in all
VALUES_IN_ALL = 50


def up_to(limit: int) -> str:
    """A pattern for the whole numbers 1 to `limit`, written without leading zeros."""
    digits = str(limit)
    shorter = f"[1-9][0-9]{{0,{len(digits) - 2}}}" if len(digits) > 1 else ""
    same = []  # as many digits as `limit`: equal up to position i, then smaller
    for i, d in enumerate(digits):
        low = "1" if i == 0 else "0"
        if int(d) > int(low):
            rest = f"[0-9]{{{len(digits) - i - 1}}}" if i < len(digits) - 1 else ""
            same.append(f"{digits[:i]}[{low}-{int(d) - 1}]{rest}")
    same.append(digits)
    return "(?:" + "|".join(([shorter] if shorter else []) + same) + ")"


class IdConverter(IntegerConverter):
    """`<int:x>` in kb: 1 to ID_MAX. Anything else cannot be an id, so the route does not
    match and the answer is a 404, like an id that does not exist. The pattern holds the
    range: a number out of range matches no route (werkzeug answers 405, not 404, when a
    converter refuses a number on a path that other methods share)."""

    def __init__(self, url_map, min: int = 1, max: int = ID_MAX):  # noqa: A002, ANN001
        super().__init__(url_map, min=min, max=max)
        self.regex = up_to(max)


class SeqConverter(IdConverter):
    """`<seq:x>`: a sequence number of a bigint column (events, notifications)."""

    def __init__(self, url_map, min: int = 1, max: int = SEQ_MAX):  # noqa: A002, ANN001
        super().__init__(url_map, min=min, max=max)


def int_arg(
    name: str,
    default: int,
    *,
    source=None,  # noqa: ANN001
    minimum: int = 0,
    maximum: int = ID_MAX,
) -> int:
    """A whole number from minimum to maximum (query string unless `source` is given), or a
    clear 400."""
    raw = (source if source is not None else request.args).get(name)
    if raw in (None, ""):
        return default
    raw = raw.strip()
    # the pattern bounds the digits first: int() of thousands of them is slow, and refused
    if not WHOLE.fullmatch(raw):
        raise ValidationError(f"`{name}` must be a whole number, not '{raw[:40]}'.", field=name)
    value = int(raw)
    if not minimum <= value <= maximum:
        raise ValidationError(
            f"`{name}` must be between {minimum:,} and {maximum:,}; it was {raw[:40]}.",
            field=name,
        )
    return value


#: how a yes/no query parameter may be written
FLAGS = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}


def flag_arg(name: str, default: bool = False) -> bool:
    """A yes/no parameter (1/0, true/false, yes/no, on/off), or a clear 400."""
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    if raw.lower() not in FLAGS:
        raise ValidationError(f"`{name}` must be 1 or 0, not '{raw[:40]}'.", field=name)
    return FLAGS[raw.lower()]


def choice_arg(name: str, choices: tuple[str, ...], default: str | None = None) -> str | None:
    """One of `choices` (absent: `default`), or a clear 400."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if raw not in choices:
        raise ValidationError(
            f"`{name}` must be one of: {', '.join(choices)}; not '{raw[:40]}'.", field=name
        )
    return raw


def page_arg(name: str = "page") -> int:
    return int_arg(name, 1, minimum=1, maximum=PAGE_MAX)


def per_page_arg(default: int, maximum: int = 100) -> int:
    return int_arg("per_page", default, minimum=1, maximum=maximum)


def check_repeated_values() -> None:
    """Refuse a query string that repeats a parameter more than VALUES_PER_PARAM times or
    carries more than VALUES_IN_ALL values: every list and search route filters on repeated
    values, and its work (and the links of its page) grow with their number."""
    counts = [(key, len(values)) for key, values in request.args.lists()]
    for key, count in counts:
        if count > VALUES_PER_PARAM:
            raise ValidationError(
                f"`{key[:40]}` is given {count:,} times; at most {VALUES_PER_PARAM} values of "
                "one parameter are allowed.",
                field=key[:40],
            )
    total = sum(count for _, count in counts)
    if total > VALUES_IN_ALL:
        raise ValidationError(
            f"The address carries {total:,} parameter values; at most {VALUES_IN_ALL} are "
            "allowed in all."
        )


def init_app(app: Flask) -> None:
    """Before any blueprint registers a route: `<int:...>` and `<seq:...>` are bounded."""
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["seq"] = SeqConverter
    app.before_request(check_repeated_values)
