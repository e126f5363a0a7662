"""Change one top-level front matter value in place, keeping every other byte as written."""

from __future__ import annotations

import re

from kb.core.errors import ValidationError
from kb.markdown import _yaml, frontmatter

_BOM = "\ufeff"
_OPENING = re.compile(r"---[ \t]*(\r?\n)")
_CLOSING = re.compile(r"^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.MULTILINE)


def _scalar(key: str, value: str) -> str:
    line = _yaml.dump({key: value})
    if line.count("\n") != 1 or not line.startswith(f"{key}: "):
        raise ValueError(f"{value!r} does not fit on one front matter line")
    return line[len(key) + 2 : -1]


def replace_key(source: str, key: str, value: str) -> str:
    """Set top-level `key` to `value`: its line is rewritten (a trailing comment survives),
    or, when the key is absent, inserted with frontmatter.set_key. The outcome is parsed
    again and must equal the old metadata with just that key changed; otherwise ValueError."""
    meta, _ = frontmatter.split(source)
    if key not in meta:
        return frontmatter.set_key(source, key, value, meta=meta)
    bom = _BOM if source.startswith(_BOM) else ""
    rest = source[len(bom) :]
    opening = _OPENING.match(rest)
    closing = _CLOSING.search(rest, opening.end()) if opening else None
    if closing is None:
        raise ValueError("No front matter block to change")
    head = rest[opening.end() : closing.start()]
    line_re = re.compile(
        rf"^({re.escape(key)}[ \t]*:[ \t]*)([^\r\n#]*?)([ \t]+#[^\r\n]*)?([ \t]*)(\r?\n|\Z)",
        re.MULTILINE,
    )
    matches = list(line_re.finditer(head))
    if len(matches) != 1:
        raise ValueError(f"Cannot find exactly one {key!r} line in the front matter")
    m = matches[0]
    new_line = m.group(1) + _scalar(key, value) + (m.group(3) or "") + m.group(4) + m.group(5)
    head = head[: m.start()] + new_line + head[m.end() :]
    result = bom + rest[: opening.end()] + head + rest[closing.start() :]
    try:
        readable = frontmatter.split(result)[0] == {**meta, key: value}
    except ValidationError:
        readable = False
    if not readable:
        raise ValueError(f"Cannot change {key!r} in this front matter without rewriting it")
    return result


def with_front_matter(source: str, key: str, value: str) -> str:
    """`source` with top-level `key` set to `value`: in place (replace_key) where that is
    safe; only a value spread over several lines or a flow mapping makes the front matter be
    written out again."""
    try:
        return replace_key(source, key, value)
    except ValueError:
        meta, body = frontmatter.split(source)
        return frontmatter.join({**meta, key: value}, body)
