"""A path as Markdown (docs/format.md#paths): front matter, then a numbered list of steps
`[title](target) — N min`. Read on import and from the curators' editor; written on export
and into the editor, always in the same shape so that export and import give back the file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.core.errors import ValidationError
from kb.core.text import check_text
from kb.documents.kinds import KINDS
from kb.documents.records import clean_text
from kb.markdown import frontmatter
from kb.paths.models import STATUSES, LearningPath

PATH_ID = re.compile(r"^LP-\d{4,6}$")
MAX_STEPS = 50
MAX_MINUTES = 600
MAX_SOURCE = 64 * 1024
_STEP = re.compile(
    r"^\s*\d{1,3}[.)]\s+\[(?P<title>[^\]\n]{1,200})\]\((?P<target>[^)\s]{1,500})\)"
    r"\s*[—–-]\s*(?P<minutes>\d{1,4})\s*min(?:utes?)?\s*$"
)
_URL = re.compile(r"^https://[^\s<>\"']+$")


@dataclass
class StepFields:
    title: str
    target: str
    minutes: int

    @property
    def is_link(self) -> bool:
        return self.target.startswith("https://")


@dataclass
class PathFields:
    id: str | None
    title: str
    audience: str = ""
    summary: str = ""
    status: str = "active"
    steps: list[StepFields] = field(default_factory=list)


def is_document_id(target: str) -> bool:
    return any(kind.id_pattern.match(target) for kind in KINDS)


def _one_line(meta: dict, key: str, limit: int, *, required: bool = False) -> str:
    value = meta.get(key)
    text = clean_text(str(value)) if value not in (None, "") else ""
    if isinstance(value, list | dict | bool):
        raise ValidationError(f"`{key}` must be text.", field=key)
    if required and not text:
        raise ValidationError(f"`{key}` is required and may not be blank.", field=key)
    if len(text) > limit:
        raise ValidationError(
            f"`{key}` is {len(text)} characters long; the limit is {limit}.", field=key
        )
    return text


def parse_step(line: str, number: int) -> StepFields:
    found = _STEP.match(line)
    if not found:
        raise ValidationError(
            f"Step {number} is not a step: write `{number}. [Title](GD-0001) — 10 min` "
            "(a document id or an https:// address, then the minutes it takes).",
            field="steps",
        )
    target, minutes = found["target"], int(found["minutes"])
    if not (is_document_id(target) or _URL.match(target)):
        raise ValidationError(
            f"Step {number} points to '{target}': name a document (LL-2025-0007, PM-0002, "
            "GD-0001, GL-0045) or an https:// address.",
            field="steps",
        )
    if not 1 <= minutes <= MAX_MINUTES:
        raise ValidationError(
            f"Step {number} takes {minutes} minutes; give 1 to {MAX_MINUTES}.", field="steps"
        )
    return StepFields(clean_text(found["title"]), target, minutes)


def check_steps(steps: list[StepFields]) -> list[StepFields]:
    if not steps:
        raise ValidationError("A path needs at least one step.", field="steps")
    if len(steps) > MAX_STEPS:
        raise ValidationError(
            f"The path has {len(steps)} steps; the limit is {MAX_STEPS}.", field="steps"
        )
    return steps


def parse_path(source: str) -> PathFields:
    """Validate a path's Markdown; a ValidationError names what to fix."""
    if len(source) > MAX_SOURCE:
        raise ValidationError(f"A path file is at most {MAX_SOURCE // 1024} KB.", field="markdown")
    check_text(source, "The path", field="markdown")
    meta, body = frontmatter.split(source)
    path_id = _one_line(meta, "id", 16) or None
    if path_id is not None and not PATH_ID.match(path_id):
        raise ValidationError(f"`id` is '{path_id}'; a path id looks like LP-0001.", field="id")
    status = _one_line(meta, "status", 16).lower() or "active"
    if status not in STATUSES:
        raise ValidationError(
            f"`status` is '{status}'; it must be one of: {', '.join(STATUSES)}.", field="status"
        )
    lines = [line for line in body.splitlines() if line.strip()]
    return PathFields(
        id=path_id,
        title=_one_line(meta, "title", 200, required=True),
        audience=_one_line(meta, "audience", 120),
        summary=_one_line(meta, "summary", 1000),
        status=status,
        steps=check_steps([parse_step(line, n) for n, line in enumerate(lines, 1)]),
    )


def path_source(path: LearningPath) -> str:
    """The path as its Markdown file."""
    meta = {"id": path.id, "title": path.title}
    meta |= {k: v for k, v in (("audience", path.audience), ("summary", path.summary)) if v}
    meta["status"] = path.status
    body = "".join(
        f"{n}. [{step.title}]({step.target}) — {step.minutes} min\n"
        for n, step in enumerate(path.steps, 1)
    )
    return frontmatter.join(meta, body)
