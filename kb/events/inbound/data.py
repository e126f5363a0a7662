"""An event's `data`: refused when it would break storage or later processing (nested too
deep, a NUL character, a lone surrogate), else serialised once for storing and measuring."""

from __future__ import annotations

import json
import re
from typing import Any

from kb.events.inbound.errors import InvalidEvent

#: JSON nested deeper than this is refused (no PMO event needs it; it costs recursion)
MAX_DEPTH = 32
# inside data only what would break storage or later processing
BAD_DATA_STRING = re.compile("[\x00\ud800-\udfff]")


def check_data(value: Any, where: str) -> str:
    """Refuse data nested deeper than MAX_DEPTH or holding NUL characters / lone surrogates;
    returns the data as compact JSON (what is stored, and its size is the event's).

    Serialised once (in C) it is plainly fine when it encodes to UTF-8 (no lone surrogate),
    holds no escaped NUL and has at most MAX_DEPTH brackets in all; only data that fails
    that quick look (a 4th of a batch's ingest time went into walking every event's data)
    is walked, to name the problem or to find it fine after all (a string that spells
    "\\u0000", brackets inside strings)."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except RecursionError:  # nested far deeper than MAX_DEPTH: the walk says so
        _walk_data(value, where)
        raise
    try:
        text.encode("utf-8")
        encodes = True
    except UnicodeEncodeError:
        encodes = False
    if not encodes or "\\u0000" in text or text.count("{") + text.count("[") > MAX_DEPTH:
        _walk_data(value, where)
    if not encodes:  # the walk raises first: a lone surrogate is in a string or a name
        raise InvalidEvent(f"{where}data holds a NUL character or a lone surrogate.")
    return text


def _walk_data(value: Any, where: str) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if BAD_DATA_STRING.search(item):
                raise InvalidEvent(f"{where}data holds a NUL character or a lone surrogate.")
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise InvalidEvent(f"{where}data is nested more than {MAX_DEPTH} levels deep.")
        if isinstance(item, dict):
            stack.extend((k, depth) for k in item)
            stack.extend((v, depth + 1) for v in item.values())
        else:
            stack.extend((v, depth + 1) for v in item)
