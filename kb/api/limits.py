"""The limits kb.params enforces on every route, as the OpenAPI document states them:
repeated values, page numbers, whole numbers in paths."""

from __future__ import annotations

import re

from werkzeug.routing import Map
from werkzeug.routing.converters import NumberConverter

from kb.params import VALUES_IN_ALL, VALUES_PER_PARAM

#: said once for every operation: what kb.params refuses before any view runs
LIMITS = (
    f"Any query parameter may be repeated at most {VALUES_PER_PARAM} times, and a query "
    f"string carries at most {VALUES_IN_ALL} values in all (400 beyond). Whole numbers in "
    "paths are ids from 1 to the stated maximum: any other number is a 404, like an id that "
    "does not exist. Whole numbers in the query string outside their stated range are a 400."
)


def bound_path_integers(paths: dict, url_map: Map) -> None:
    """Each whole number in a path takes the range of the route's converter (kb.params), and
    the operation documents the 404 that answers any other number."""
    ranges = {}
    for rule in url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for name, conv in rule._converters.items():
            if isinstance(conv, NumberConverter):
                ranges[(path, name)] = (conv.min, conv.max)
    for path, operations in paths.items():
        for op in operations.values():
            for param in op.get("parameters", []):
                bounds = ranges.get((path, param["name"])) if param["in"] == "path" else None
                if bounds:
                    param["schema"] = {
                        "type": "integer",
                        "minimum": bounds[0],
                        "maximum": bounds[1],
                    }
                    op["responses"].setdefault(
                        "404",
                        {
                            "description": "Not found",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Error"}
                                }
                            },
                        },
                    )
