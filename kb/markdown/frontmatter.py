"""YAML front matter: split a document into (metadata, body), write it back, add a key.

The format (docs/format.md): the first line is `---`, the block ends with a line `---` (or
`...`), at most FRONT_MATTER_MAX_BYTES, in the strict dialect described in `_yaml`.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from kb.core.errors import ValidationError
from kb.markdown import _yaml

FRONT_MATTER_MAX_BYTES = 16 * 1024

# Line numbers in messages count from the top of the file; the YAML starts on line 2.
_FIRST_YAML_LINE = 2
_BOM = "\ufeff"
_OPENING = re.compile(r"---[ \t]*(\r?\n|\Z)")
_CLOSING = re.compile(r"^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.MULTILINE)
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def split(source: str) -> tuple[dict[str, Any], str]:
    """Return (metadata, body). Without front matter: ({}, source minus any BOM).

    The body is everything after the closing line, unchanged (leading blank lines included).
    Raises ValidationError for an unclosed, oversized or invalid front matter block.
    """
    source = source.removeprefix(_BOM)
    opening = _OPENING.match(source)
    if not opening:
        return {}, source
    closing = _CLOSING.search(source, opening.end()) if opening.group(1) else None
    if not closing:
        raise ValidationError(
            "The front matter starting on line 1 has no closing '---' line.",
            field="front_matter",
        )
    text = source[opening.end() : closing.start()]
    # surrogatepass: a lone surrogate is reported with its line by the YAML check below
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > FRONT_MATTER_MAX_BYTES:
        raise ValidationError(
            f"The front matter is {size:,} bytes; the limit is "
            f"{FRONT_MATTER_MAX_BYTES // 1024} KB. Move long text into the body.",
            field="front_matter",
        )
    return _parse(text), source[closing.end() :]


def _parse(text: str) -> dict[str, Any]:
    try:
        data = _yaml.load(text)
    except _yaml.FrontMatterYAMLError as exc:
        raise ValidationError(
            f"{exc.message} (line {exc.line + _FIRST_YAML_LINE}).", field="front_matter"
        ) from None
    except yaml.MarkedYAMLError as exc:
        raise ValidationError(_syntax_message(exc), field="front_matter") from None
    except yaml.YAMLError as exc:
        raise ValidationError(
            f"Front matter is not valid YAML: {exc}.", field="front_matter"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationError(
            "Front matter must be a set of `key: value` lines, "
            f"not a {'list' if isinstance(data, list) else 'single value'}.",
            field="front_matter",
        )
    return data


def _syntax_message(exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "syntax error"
    if mark is None:
        return f"Front matter is not valid YAML: {problem}."
    line = mark.line + _FIRST_YAML_LINE
    where = ""
    if exc.problem and exc.context and exc.context_mark and exc.context_mark is not mark:
        # e.g. "(while parsing a flow sequence on line 3)": where the unclosed thing began.
        where = f" ({exc.context} on line {exc.context_mark.line + _FIRST_YAML_LINE})"
    return (
        f"Front matter is not valid YAML (line {line}, column {mark.column + 1}): {problem}{where}."
    )


def join(meta: dict[str, Any], body: str) -> str:
    """Serialise `meta` (in insertion order) as front matter followed by `body`.

    A blank line separates the two unless `body` already starts with "\\n", so
    `split(join(m, b)) == (m, b if b.startswith("\\n") else "\\n" + b)`.
    Lists of plain values are written inline (`tags: [vendor, schedule]`), dates as
    `2025-03-14`, and any text that YAML could misread (`yes`, `0755`) is quoted.
    """
    header = _yaml.dump(meta) if meta else ""
    separator = "" if body.startswith("\n") else "\n"
    return f"---\n{header}---\n{separator}{body}"


def set_key(source: str, key: str, value: str, *, meta: dict[str, Any] | None = None) -> str:
    """Insert `key: value` as the first front matter line, leaving every other byte as it was.

    Creates a front matter block when there is none. Used to write an assigned `id` into
    imported files without reformatting what their authors wrote. Raises ValueError when the
    key already exists or the block cannot take the line (e.g. a flow-style `{...}` mapping),
    and ValidationError when the existing front matter is invalid.
    """
    if not _KEY.match(key):
        raise ValueError(f"{key!r} is not a plain front matter key")
    if meta is None:  # callers that parsed the source already pass what they found
        meta, _ = split(source)
    if key in meta:
        raise ValueError(f"The front matter already has a {key!r} key")
    line = _yaml.dump({key: value})
    if line.count("\n") != 1:
        # Text with line breaks would span several lines; the escaped form stays on one.
        line = yaml.dump({key: value}, Dumper=_yaml.StrictDumper, default_style='"', width=10**9)
        line = line.replace(f'"{key}": ', f"{key}: ", 1)
    bom = _BOM if source.startswith(_BOM) else ""
    rest = source[len(bom) :]
    opening = _OPENING.match(rest)
    if opening:
        newline = opening.group(1) or "\n"
        result = bom + rest[: opening.end()] + line.replace("\n", newline) + rest[opening.end() :]
    else:
        result = f"{bom}---\n{line}---\n{rest}"
    # Inserting a line is only safe for block-style mappings starting in column 0; check the
    # outcome rather than second-guess the YAML (e.g. a `{...}` flow mapping breaks).
    try:
        readable = split(result)[0] == {key: value, **meta}
    except ValidationError:
        readable = False
    if not readable:
        raise ValueError(f"Cannot add {key!r} to this front matter without rewriting it")
    return result
