"""Repeated member names in JSON objects: found while parsing, reported with where they are.

`json.loads` keeps the last value of a repeated name without a word, and other parsers keep
the first: a sender and kb could then read two different events from the same bytes (an
`id` or a `projectId` given twice). RFC 8259 leaves it open, so kb refuses such a document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Path = list[str | int]


class _Repeated(dict):
    """An object whose text repeated a member name (only until the caller reports it)."""

    repeated: str = ""


def unique_pairs() -> tuple[Callable[[list[tuple[str, Any]]], dict], list[bool]]:
    """An `object_pairs_hook` and a flag list that becomes [True] once a name repeats.

    The hook marks the object instead of raising, so that the caller can say where it is
    (the hook itself sees only one object's members, not its place in the document).
    """
    found: list[bool] = []

    def hook(pairs: list[tuple[str, Any]]) -> dict:
        obj: dict = {}
        repeated = None
        for name, value in pairs:
            if repeated is None and name in obj:
                repeated = name
            obj[name] = value
        if repeated is None:
            return obj
        if not found:
            found.append(True)
        marked = _Repeated(obj)
        marked.repeated = repeated
        return marked

    return hook, found


def first_repeated(value: Any) -> tuple[Path, str] | None:
    """(path, name) of the first object, in document order, that repeats a member name;
    outer objects come before the objects inside them."""
    stack: list[tuple[Any, Path]] = [(value, [])]
    while stack:
        item, path = stack.pop()
        if isinstance(item, _Repeated):
            return path, item.repeated
        if isinstance(item, dict):
            children: list = list(item.items())
        elif isinstance(item, list):
            children = list(enumerate(item))
        else:
            continue
        stack.extend((child, [*path, key]) for key, child in reversed(children))
    return None


def dotted(path: Path) -> str:
    """["data", "findings", 0, "id"] -> data.findings[0].id"""
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out
