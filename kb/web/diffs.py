"""Line diffs of Markdown for people: hunks of context, removals and additions. Plain data;
the templates escape every line."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field


@dataclass
class Line:
    kind: str  # "same" | "del" | "ins"
    old: int | None  # line number on the left, None for an added line
    new: int | None
    text: str


@dataclass
class Hunk:
    lines: list[Line] = field(default_factory=list)

    @property
    def header(self) -> str:
        olds = [x.old for x in self.lines if x.old is not None]
        news = [x.new for x in self.lines if x.new is not None]
        left = f"{olds[0]}–{olds[-1]}" if olds else "–"
        right = f"{news[0]}–{news[-1]}" if news else "–"
        return f"Lines {left} → {right}"


@dataclass
class Diff:
    hunks: list[Hunk]
    added: int
    removed: int

    @property
    def same(self) -> bool:
        return not self.hunks


def line_diff(old: str, new: str, *, context: int = 3) -> Diff:
    a, b = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    hunks, added, removed = [], 0, 0
    for group in matcher.get_grouped_opcodes(context):
        hunk = Hunk()
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                hunk.lines += [Line("same", i + 1, j1 + i - i1 + 1, a[i]) for i in range(i1, i2)]
                continue
            if tag in ("replace", "delete"):
                hunk.lines += [Line("del", i + 1, None, a[i]) for i in range(i1, i2)]
                removed += i2 - i1
            if tag in ("replace", "insert"):
                hunk.lines += [Line("ins", None, j + 1, b[j]) for j in range(j1, j2)]
                added += j2 - j1
        hunks.append(hunk)
    return Diff(hunks, added, removed)
