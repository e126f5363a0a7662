"""A document body as sections: cut at its `## ` headings, put together again with changed
section texts, every unchanged part as written (kb.documents.form)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADINGS = {level: re.compile(rf"^{'#' * level}[ \t]+(.+?)[ \t]*#*[ \t]*$") for level in (2, 3)}
_FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)")


@dataclass
class Block:
    """A `## Heading` line and the text under it, as written."""

    name: str
    heading: str
    content: str


@dataclass
class Body:
    preamble: str
    blocks: list[Block]


def split_body(body: str, level: int = 2) -> Body:
    """Cut the body at its `## ` headings (or `### `; not those inside fenced code)."""
    preamble: list[str] = []
    blocks: list[Block] = []
    fence = None
    for line in body.splitlines(keepends=True):
        if m := _FENCE.match(line):
            fence = None if fence == m.group(1) else (fence or m.group(1))
        heading = None if fence else _HEADINGS[level].match(line.rstrip("\r\n"))
        if heading:
            blocks.append(Block(heading.group(1).strip(), line, ""))
        elif blocks:
            blocks[-1].content += line
        else:
            preamble.append(line)
    return Body("".join(preamble), blocks)


def as_shown(text: str) -> str:
    """Text as a text box shows it and a browser sends it back: LF line ends, no blank lines
    around it. Compared in this form, a CRLF file saved unchanged stays as it is."""
    return text.replace("\r\n", "\n").strip("\n")


def known(names: list[str], heading: str) -> str | None:
    """The section name a heading stands for (case aside), or None for another heading."""
    return next((n for n in names if n.lower() == heading.lower()), None)


def compose_steps(old: str, intro: str, role_steps: list[tuple[str, str]]) -> str:
    """The Steps section from its own text and one text per role; unchanged parts as written."""
    parts = split_body(old, level=3)
    texts = dict(role_steps)
    out = parts.preamble if intro == as_shown(parts.preamble) else (f"{intro}\n\n" if intro else "")
    for block in parts.blocks:
        text = texts.pop(block.name, "")
        if text == as_shown(block.content):
            out += block.heading + block.content
        else:
            out += f"{block.heading}{text}\n\n" if text else block.heading + "\n"
    for name, text in texts.items():  # roles the section did not have yet
        if text:
            out = out.rstrip("\n") + "\n\n" if out.strip() else ""
            out += f"### {name}\n{text}\n\n"
    return out.strip("\n") if out != old else as_shown(old)


def _section_text(text: str, old: str, last: bool) -> str:
    if text == as_shown(old):
        return old
    lead = "\n" if old.startswith("\n") or not old else ""
    return f"{lead}{text}\n" + ("" if last else "\n") if text else ("" if last else "\n")


def compose_body(body: str, names: list[str], sections: dict[str, str]) -> str:
    """`body` with each known section's text replaced by `sections`; a section it lacks goes
    after the nearest earlier one it has; other text stays as written."""
    parts = split_body(body)
    done: set[str] = set()
    for block in parts.blocks:
        name = known(names, block.name)
        if name and name not in done:
            done.add(name)
            last = block is parts.blocks[-1]
            block.content = _section_text(sections.get(name, ""), block.content, last)
    missing = [n for n in names if n not in done and sections.get(n)]
    for name in missing:
        at = 0
        for i, block in enumerate(parts.blocks):
            if known(names, block.name) in names[: names.index(name)]:
                at = i + 1
        if at and not parts.blocks[at - 1].content.endswith("\n\n"):
            parts.blocks[at - 1].content = parts.blocks[at - 1].content.rstrip("\n") + "\n\n"
        tail = "\n" if at < len(parts.blocks) else ""
        parts.blocks.insert(at, Block(name, f"## {name}\n", f"\n{sections[name]}\n{tail}"))
    preamble = parts.preamble
    if parts.blocks and preamble.strip() and not preamble.endswith("\n\n"):
        preamble = preamble.rstrip("\n") + "\n\n"
    text = preamble + "".join(b.heading + b.content for b in parts.blocks)
    return text if text == body or text.startswith("\n") else "\n" + text
