"""The outbound part of docs/events.md, written from the classes (`kb docs events`): a table
of every type, then one section per family of types sharing their data, with its fields, an
example and its JSON Schema. A test fails when the file is out of date."""

from __future__ import annotations

import inspect
import json
import re
from typing import Any

from kb.events.kinds.base import KINDS, KbEvent
from kb.events.kinds.examples import EXAMPLES, example_envelope

BEGIN = (
    "<!-- generated from kb/events/kinds by `kb docs events`: edit the classes, not this text -->"
)
END = "<!-- end of the generated part -->"
INTRO = """\
Every change kb makes appends its event to the log in the same transaction (source
`urn:pmo:kb`, `id` a UUID, `datacontenttype` application/json). Each type is a class in
`kb/events/kinds` that names its type, its subject and its data fields; the data below is
exactly what the log stores and what a subscriber receives (cut to what the subscription's
owner may read: see [text about another document](#text-about-another-document)). The
partition key is the project key. Receivers should ignore fields they do not know: kb may
add fields, and never removes or retypes one without a new type."""


def _classes() -> list[type[KbEvent]]:
    return [cls for classes in KINDS.values() for cls in classes]


def _family(cls: type[KbEvent]) -> type[KbEvent]:
    """The furthest base class with the same fields (the class declaring the data)."""
    family = cls
    for base in cls.__mro__[1:]:
        if not (isinstance(base, type) and issubclass(base, KbEvent)) or base is KbEvent:
            break
        if set(base.model_fields) == set(cls.model_fields):
            family = base
    return family


def _doc(cls: type) -> str:
    return " ".join(inspect.cleandoc(cls.__doc__ or "").split())


def _subject(cls: type[KbEvent]) -> str:
    note = getattr(cls, "SUBJECT_NOTE", "")
    return note or "`" + re.sub(r"\{(\w+)\}", r"<\1>", cls.SUBJECT) + "`"


def _anchor(cls: type[KbEvent]) -> str:
    return _family(cls).__name__.lower()


def _type_of(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    if "anyOf" in prop:
        kinds = [_type_of(p, defs) for p in prop["anyOf"]]
        return " or ".join(k for k in kinds if k != "null") + (
            " or null" if "null" in kinds else ""
        )
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        fields = ", ".join(defs[name]["properties"])
        return f"`{{{fields}}}`"
    if "enum" in prop or "const" in prop:
        return ", ".join(f"`{json.dumps(v)}`" for v in prop.get("enum", [prop.get("const")]))
    if prop.get("type") == "array":
        return "array of " + _type_of(prop["items"], defs)
    return prop.get("format") or prop.get("type", "any")


def schema(cls: type[KbEvent]) -> dict[str, Any]:
    """The JSON Schema (2020-12) of the data of `cls`."""

    def tidy(node: object) -> object:
        """Without pydantic's generated titles, and open to new fields (receivers must
        tolerate them)."""
        if isinstance(node, dict):
            return {
                k: tidy(v)
                for k, v in node.items()
                if k != "additionalProperties" and not (k == "title" and isinstance(v, str))
            }
        return [tidy(x) for x in node] if isinstance(node, list) else node

    out = tidy(cls.model_json_schema(by_alias=True, mode="validation"))
    out["title"] = cls.__name__
    out["description"] = _doc(cls)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **out}


def _json(node: object, depth: int = 0) -> str:
    """JSON with one line per property: the schema stays short enough to read."""
    if depth >= 2 or not isinstance(node, dict):
        return json.dumps(node, ensure_ascii=False)
    pad = "  " * (depth + 1)
    items = [f"{pad}{json.dumps(k)}: {_json(v, depth + 1)}" for k, v in node.items()]
    return "{\n" + ",\n".join(items) + "\n" + "  " * depth + "}"


def _fields(cls: type[KbEvent]) -> list[str]:
    full = schema(cls)
    defs, required = full.get("$defs", {}), set(full.get("required", []))
    rows = ["| field | required | type | what |", "| --- | --- | --- | --- |"]
    for name, prop in full["properties"].items():
        what = " ".join(str(prop.get("description", "")).split())
        rows.append(
            f"| `{name}` | {'yes' if name in required else 'no'} | "
            f"{_type_of(prop, defs)} | {what} |"
        )
    return rows


def _section(family: type[KbEvent], members: list[type[KbEvent]]) -> list[str]:
    names = ", ".join(f"`{m.full_type()}`" for m in members)
    lines = [f'<a id="{family.__name__.lower()}"></a>', "", f"### {names}", ""]
    if family not in members:
        lines += [_doc(family), ""]
    if len(members) > 1 or family not in members:
        lines += [f"- `{m.full_type()}` (subject {_subject(m)}): {_doc(m)}" for m in members]
    else:
        lines += [f"Subject {_subject(family)}. {_doc(family)}"]
    shown = next((m for m in members if m in EXAMPLES), members[0])
    example = json.dumps(example_envelope(shown), indent=2, ensure_ascii=False)
    body = _json(schema(family))
    return lines + [
        "",
        *_fields(family),
        "",
        "```json",
        example,
        "```",
        "",
        "<details><summary>JSON Schema of the data</summary>",
        "",
        "```json",
        body,
        "```",
        "",
        "</details>",
        "",
    ]


def render() -> str:
    """The generated part, markers included."""
    classes = _classes()
    table = ["| type | subject | when |", "| --- | --- | --- |"]
    table += [
        f"| [`{c.full_type()}`](#{_anchor(c)}) | {_subject(c)} | {_doc(c)} |" for c in classes
    ]
    families: dict[type[KbEvent], list[type[KbEvent]]] = {}
    for cls in classes:
        families.setdefault(_family(cls), []).append(cls)
    sections = [line for family, members in families.items() for line in _section(family, members)]
    return "\n".join([BEGIN, "", INTRO, "", *table, "", *sections, END]) + "\n"


def updated(text: str) -> str:
    """`text` (docs/events.md) with its generated part replaced by the current one."""
    start, end = text.index(BEGIN), text.index(END) + len(END) + 1
    return text[:start] + render() + text[end:]
