"""Copying an object's attributes into another's members where both name them alike."""

from __future__ import annotations

from typing import Any


def alike(source: object, names: str, **given: Any) -> dict:
    """Members for a model or an event: `source`'s attributes named in `names`
    (space-separated; named alike on `source` and on what is built), and `given`."""
    return {name: getattr(source, name) for name in names.split()} | given
