"""A deliberately small YAML dialect for front matter: plain data, nothing clever.

Derived from PyYAML's safe loader, with these differences:
- anchors, aliases and explicit tags (`&a`, `*a`, `!!str`, `!x`) are refused, which rules out
  alias bombs and any attempt at object construction;
- only `true`/`false` (any case) are booleans: `yes`, `no`, `on`, `off`, `y`, `n` stay text;
- numbers follow YAML 1.2: `0755`, `1_000`, `0x1f` and `12:30` stay text instead of becoming
  octal, hexadecimal or base-60 numbers; `<<` is an ordinary key, not a merge;
- mapping keys must be text and may not repeat; nesting is limited to MAX_DEPTH levels;
- integers have at most MAX_INT_DIGITS digits (Python cannot even convert 4,300).
Dates (`2025-03-14`) and timestamps still become `date` / `datetime`.

The dumper quotes every string that either this dialect or standard YAML would read as
something else, so what we write reads back the same here and in other tools.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, CollectionStartEvent, NodeEvent
from yaml.nodes import MappingNode, Node, ScalarNode
from yaml.reader import Reader
from yaml.resolver import Resolver

from kb.core.jsonbody import MAX_INT_DIGITS

MAX_DEPTH = 20

_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_IMPLICIT = (
    ("tag:yaml.org,2002:bool", r"^(?i:true|false)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9]*)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?[0-9]+[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    # PyYAML's own timestamp pattern, so dates behave exactly as with safe_load.
    (
        _TIMESTAMP_TAG,
        r"^(?:[0-9]{4}-[0-9][0-9]?-[0-9][0-9]?"
        r"|[0-9]{4}-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9]"
        r"(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$",
        "0123456789",
    ),
)


class FrontMatterYAMLError(Exception):
    """A rule of our dialect was broken; `line` is 0-based within the YAML text."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class StrictResolver(Resolver):
    yaml_implicit_resolvers: dict = {}


for _tag, _pattern, _first in _IMPLICIT:
    StrictResolver.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


class StrictComposer(Composer):
    """Checks every node event before PyYAML's composer sees it."""

    _depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event = self.peek_event()
        line = event.start_mark.line
        if isinstance(event, AliasEvent) or (
            isinstance(event, NodeEvent) and event.anchor is not None
        ):
            raise FrontMatterYAMLError(
                "YAML anchors and aliases are not allowed in front matter", line
            )
        tag = getattr(event, "tag", None)
        if tag is not None:
            raise FrontMatterYAMLError(
                f"YAML tags such as {_short(tag)!r} are not allowed in front matter", line
            )
        if not isinstance(event, CollectionStartEvent):
            return super().compose_node(parent, index)
        # PyYAML composes recursively; capping depth keeps `[[[[...` away from the stack limit.
        if self._depth >= MAX_DEPTH:
            raise FrontMatterYAMLError(
                f"Front matter is nested more than {MAX_DEPTH} levels deep", line
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class StrictConstructor(SafeConstructor):
    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict:
        # Replaces SafeConstructor's version, which would also expand `<<` merge keys.
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line
            if not isinstance(key, str):
                raise FrontMatterYAMLError(f"Front matter keys must be text; {key!r} is not", line)
            if key in mapping:
                raise FrontMatterYAMLError(f"The key {key!r} appears twice in front matter", line)
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def construct_yaml_int(self, node: Node) -> int:  # type: ignore[override]
        # Python refuses to convert more than 4,300 digits (ValueError); no field needs 40.
        digits = len(str(node.value).lstrip("+-"))
        if digits > MAX_INT_DIGITS:
            raise FrontMatterYAMLError(
                f"A number of {digits:,} digits is too long (at most {MAX_INT_DIGITS}); "
                "put it in quotes if it is text",
                node.start_mark.line,
            )
        return super().construct_yaml_int(node)

    def construct_yaml_timestamp(self, node: Node) -> dt.date | dt.datetime:  # type: ignore[override]
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise FrontMatterYAMLError(
                f"{node.value!r} is not a valid date ({exc})", node.start_mark.line
            ) from None


StrictConstructor.add_constructor(_TIMESTAMP_TAG, StrictConstructor.construct_yaml_timestamp)
StrictConstructor.add_constructor("tag:yaml.org,2002:int", StrictConstructor.construct_yaml_int)


class PureLoader(StrictComposer, StrictConstructor, StrictResolver, yaml.SafeLoader):
    pass


LOADERS: list[type] = [PureLoader]

try:  # libyaml parses several times faster; the checks above run on its events all the same.
    from yaml._yaml import CParser

    class CLoader(StrictComposer, CParser, StrictConstructor, StrictResolver):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            StrictComposer.__init__(self)
            StrictConstructor.__init__(self)
            StrictResolver.__init__(self)

    LOADERS.insert(0, CLoader)
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    pass

DEFAULT_LOADER = LOADERS[0]


def load(text: str, loader_class: type | None = None) -> Any:
    """Parse one YAML document with the strict dialect.

    Raises FrontMatterYAMLError for dialect rules and yaml.YAMLError for syntax errors.
    """
    # Checked here because PyYAML's reader reports a character offset, not a line.
    bad = Reader.NON_PRINTABLE.search(text)
    if bad:
        raise FrontMatterYAMLError(
            f"Front matter contains the character U+{ord(bad.group()):04X}, which is not allowed",
            text.count("\n", 0, bad.start()),
        )
    loader = (loader_class or DEFAULT_LOADER)(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _implicit_tag(table: dict, value: str) -> str | None:
    for tag, regexp in table.get(value[:1], ()):
        if regexp.match(value):
            return tag
    return None


_YAML_BREAKS = "\x85\u2028\u2029"


class StrictDumper(yaml.SafeDumper):
    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0]:
            for table in (StrictResolver.yaml_implicit_resolvers, Resolver.yaml_implicit_resolvers):
                tag = _implicit_tag(table, value)
                if tag is not None and tag != _STR_TAG:
                    return tag
            return _STR_TAG
        return super().resolve(kind, value, implicit)

    def represent_str(self, data: str) -> Node:
        # YAML reads NEL and the Unicode line/paragraph separators as line breaks and folds
        # them into spaces unless escaped, which only the double-quoted style does.
        if any(ch in data for ch in _YAML_BREAKS):
            return self.represent_scalar(_STR_TAG, data, style='"')
        return super().represent_str(data)

    def represent_list(self, data: Any) -> Node:
        # Short lists of words read best inline (`tags: [vendor, schedule]`).
        flow = all(not isinstance(item, (dict, list, tuple)) for item in data)
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


StrictDumper.add_representer(str, StrictDumper.represent_str)
StrictDumper.add_representer(list, StrictDumper.represent_list)
StrictDumper.add_representer(tuple, StrictDumper.represent_list)


def dump(data: dict) -> str:
    # A huge width so that long titles stay on one line instead of being folded.
    return yaml.dump(
        data,
        Dumper=StrictDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000_000,
    )


def _short(tag: str) -> str:
    # Show tags the way they were written (`!!str`), not in their expanded form.
    return tag.replace("tag:yaml.org,2002:", "!!", 1)
