"""A process model's steps as a flow, read from its Markdown (docs/format.md, "Steps").

The convention stays readable as plain text and on the page: under `## Steps`, a `### Role`
heading per role (a swimlane) and one numbered list across the whole section — the number is
the step's id, so a role's list may start at 4. An item starts with its name in bold; a
decision is marked *Decision* (or its name ends with "?"), a start or end event *Start* or
*End*. Lines `System:`, `Inputs:`, `Outputs:` and `Next:` describe it; `Next: 5`,
`Next: 5, 7` (both follow), `Next: yes → 5; no → 8` (a decision's labelled ways) or
`Next: end`. Without `Next:` a step is followed by the next number, the last one by the end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TASK, DECISION, START, END = "task", "decision", "start", "end"
_SECTION = re.compile(r"^##\s+Steps\s*#*\s*$", re.I)
_H2 = re.compile(r"^##\s")
_ROLE = re.compile(r"^###\s+(.+?)\s*#*\s*$")
_ITEM = re.compile(r"^(\d{1,4})[.)]\s+(.*)$")
_NAME = re.compile(r"^\*\*(.+?)\*\*")
_KIND = re.compile(r"[*_]\(?(decision|start|end)\)?\.?[*_]", re.I)
_FIELD = re.compile(
    r"\b(System|Inputs|Outputs|Next):\s*(.+?)(?=\s+\b(?:System|Inputs|Outputs|Next):|$)"
)
_ARROW = re.compile(r"\s*(?:→|->)\s*")
NAME_MAX = 120


@dataclass
class Step:
    """`next` of a step: (target step number, or None for the end; the condition's label)."""

    number: int
    name: str
    role: str
    kind: str = TASK
    system: str = ""
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    next: list[tuple[int | None, str]] = field(default_factory=list)
    text: str = ""


@dataclass
class Flow:
    steps: list[Step]
    roles: list[str]
    #: what does not follow the convention, in plain words (the diagram draws what it can)
    problems: list[str]

    def by_number(self) -> dict[int, Step]:
        return {s.number: s for s in self.steps}


def _section(body: str) -> list[str]:
    """The lines of `## Steps`, without code blocks (an example in one is not a step)."""
    lines, inside, fence = [], False, False
    for line in body.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
            continue
        if fence:
            continue
        if _SECTION.match(line):
            inside = True
        elif inside and _H2.match(line):
            break
        elif inside:
            lines.append(line)
    return lines


def _items(lines: list[str]) -> list[tuple[str, int, str]]:
    """(role, number, text with its continuation lines joined)."""
    role, items = "", []
    for line in lines:
        if m := _ROLE.match(line):
            role = _plain(m.group(1))  # a lane's name: plain text, as the diagram shows it
        elif m := _ITEM.match(line):
            items.append([role, int(m.group(1)), m.group(2).strip()])
        elif items and line.strip() and (line.startswith((" ", "\t")) or not line.startswith("#")):
            items[-1][2] += " " + line.strip()
    return [(r, n, t) for r, n, t in items]


def _plain(text: str) -> str:
    """Markdown's marks taken away: link text kept, emphasis and code marks dropped, escaped
    characters (\\* \\_ \\[) kept as the characters they are."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(?<!\\)[*`]", "", text)
    text = re.sub(r"(?<![\\\w])_+|(?<!\\)_+(?!\w)", "", text)  # emphasis, not snake_case
    return re.sub(r"\\(.)", r"\1", text).strip()


def _split(value: str) -> list[str]:
    return [p for p in (_plain(x).strip(" .") for x in re.split(r"[;,]", value)) if p]


def _next(value: str, number: int, problems: list[str]) -> list[tuple[int | None, str]]:
    ways = []
    for part in re.split(r"\s*[;,]\s*", value.strip().rstrip(".")):
        if not part:
            continue
        label, target = "", part
        if _ARROW.search(part):
            label, target = (_plain(x).strip() for x in _ARROW.split(part, maxsplit=1))
        target = target.strip().lower().removeprefix("step").strip()
        if target == "end":
            ways.append((None, label))
        elif target.isdigit():
            ways.append((int(target), label))
        else:
            problems.append(
                f"Step {number}: `Next:` names '{target[:40]}', not a step number or end."
            )
    return ways


def said(step: Step) -> tuple[str, str]:
    """A step's text without its name, its kind's mark and its `Next:`: (what it says, its
    `System:`, `Inputs:` and `Outputs:` as written), both Markdown on one line."""
    text = step.text
    if name := _NAME.match(text):
        text = text[name.end() :]
    else:
        text = (re.split(r"(?<=[.;:])\s", text, maxsplit=1)[1:] or [""])[0]
    text = _KIND.sub("", text, count=1)
    first = _FIELD.search(text)
    fields = " ".join(
        f"{key}: {value.strip()}" for key, value in _FIELD.findall(text) if key != "Next"
    )
    return (text[: first.start()] if first else text).strip(), fields


def parse_steps(body: str) -> Flow:
    """The steps of a process model's Markdown body (front matter already removed)."""
    problems: list[str] = []
    steps: list[Step] = []
    seen: set[int] = set()
    for role, number, text in _items(_section(body)):
        if number in seen:
            problems.append(
                f"Step {number} appears twice: number the steps once across all roles "
                "(a role's list may start at any number)."
            )
            continue
        seen.add(number)
        name_match = _NAME.match(text)
        name = name_match.group(1) if name_match else re.split(r"(?<=[.;:])\s", text, maxsplit=1)[0]
        step = Step(
            number=number, name=_plain(name).rstrip(".")[:NAME_MAX], role=role or "—", text=text
        )
        if kind := _KIND.search(text):
            step.kind = kind.group(1).lower()
        elif step.name.endswith("?"):
            step.kind = DECISION
        for key, value in _FIELD.findall(text):
            value = value.strip()
            if key == "System":
                step.system = _plain(value).rstrip(".")
            elif key == "Next":
                step.next = _next(value, number, problems)
            else:
                setattr(step, key.lower(), _split(value))
        steps.append(step)
    numbers = sorted(seen)
    for step in steps:
        if not step.next and step.kind != END:
            later = [n for n in numbers if n > step.number]
            if step.kind == DECISION:
                problems.append(
                    f"Step {step.number} is a decision: say where each answer leads (Next: yes → …; no → …)."
                )
            step.next = [(later[0] if later else None, "")]
        for target, _ in step.next:
            if target is not None and target not in seen:
                problems.append(f"Step {step.number} leads to step {target}, which does not exist.")
        step.next = [(t, label) for t, label in step.next if t is None or t in seen]
    roles = list(dict.fromkeys(s.role for s in steps))
    return Flow(steps=steps, roles=roles, problems=problems)
