"""A process model's published versions and how two of them differ.

Versions are numbered 1, 2, 3 per model in the order they were published (the URLs and the
API use these numbers). Each keeps the revision that was published and its `version:` label:
kb writes the next whole label at publication — the previous published label's major plus
one (`2.1` → `3.0`), or, for a model's first version, the label its draft has (default
`1.0`) — so the text field the process repository also writes (`2.2`) keeps its meaning.
A model published before kb kept versions (imported as published) counts as version 1.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.core.errors import NotFound
from kb.db import Database
from kb.documents.models import Document, DocumentRevision
from kb.markdown import frontmatter
from kb.processes.models import ProcessVersion
from kb.processes.steps import Step, parse_steps

DRAFT = "draft"  # the working copy, in a comparison
#: what a step diff compares, and its words
STEP_FIELDS = {
    "name": "name",
    "role": "role",
    "kind": "kind",
    "system": "system",
    "inputs": "inputs",
    "outputs": "outputs",
    "next": "next steps",
}
BEFORE_KB = "Published before kb kept versions"


@dataclass(frozen=True)
class Version:
    number: int
    revision: int
    label: str
    summary: str
    published_by: str | None
    published_at: datetime | None


def _major(label: str | None) -> int:
    found = re.match(r"\s*(\d{1,6})", label or "")
    return int(found.group(1)) if found else 0


def _label_of(markdown: str) -> str:
    meta, _ = frontmatter.split(markdown)
    return str(meta.get("version") or "1.0").strip()[:32]


def _baseline(s: Session, doc: Document) -> Version | None:
    """The version published before kb kept versions: the revision readers see."""
    number = doc.published_revision or (doc.version if doc.status == "published" else None)
    revision = s.scalar(
        select(DocumentRevision).where(
            DocumentRevision.document_id == doc.id, DocumentRevision.number == number
        )
    )
    if revision is None:
        return None
    return Version(
        1, number, _label_of(revision.markdown), BEFORE_KB, revision.author, revision.created_at
    )


def versions_in(s: Session, doc: Document) -> list[Version]:
    """The model's published versions, oldest first."""
    query = select(ProcessVersion).where(ProcessVersion.document_id == doc.id)
    rows = list(s.scalars(query.order_by(ProcessVersion.number)))
    if not rows:
        found = _baseline(s, doc)
        return [found] if found else []
    return [
        Version(r.number, r.revision, r.label, r.summary, r.published_by, r.published_at)
        for r in rows
    ]


def list_versions(db: Database, doc: Document) -> list[Version]:
    with db.read() as s:
        return versions_in(s, doc)


def next_label(doc: Document, found: list[Version]) -> str:
    """The `version:` label the next published version gets, after versions `found`."""
    if not found:
        return (doc.model_version or "1.0")[:32]
    return f"{_major(found[-1].label) + 1}.0"


def record(
    s: Session, doc: Document, found: list[Version], *, label: str, summary: str, by: str
) -> int:
    """Record `doc`'s current revision as the version after `found` (versions_in() before
    the publication's revision); its number. A model published before kb kept versions
    gets that version recorded first, as version 1."""
    exists = s.scalar(select(ProcessVersion.id).where(ProcessVersion.document_id == doc.id))
    if found and exists is None:
        old = found[0]
        s.add(
            ProcessVersion(
                document_id=doc.id,
                number=1,
                revision=old.revision,
                label=old.label,
                summary=old.summary,
                published_by=old.published_by or "kb",
                published_at=old.published_at,
            )
        )
    number = len(found) + 1
    s.add(
        ProcessVersion(
            document_id=doc.id,
            number=number,
            revision=doc.version,
            label=label,
            summary=summary,
            published_by=by,
        )
    )
    s.flush()
    return number


# --- comparing -------------------------------------------------------------------------------


@dataclass
class StepChange:
    number: int
    name: str
    #: for a changed step: (what, before, after) for each field that differs
    fields: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class Comparison:
    old: Version | None  # None: the draft
    new: Version | None
    old_markdown: str
    new_markdown: str
    added: list[StepChange]
    removed: list[StepChange]
    changed: list[StepChange]

    @property
    def unified(self) -> str:
        """The Markdown diff as unified diff text."""
        lines = difflib.unified_diff(
            self.old_markdown.splitlines(),
            self.new_markdown.splitlines(),
            fromfile=_name(self.old),
            tofile=_name(self.new),
            lineterm="",
        )
        return "\n".join(lines)


def _name(version: Version | None) -> str:
    return "draft" if version is None else f"version {version.number} ({version.label})"


def _shown(step: Step, key: str) -> str:
    value = getattr(step, key)
    if key == "next":
        return ", ".join(
            (f"{label} → " if label else "") + (str(to) if to is not None else "end")
            for to, label in value
        )
    return ", ".join(value) if isinstance(value, list) else str(value)


def step_changes(
    old_body: str, new_body: str
) -> tuple[list[StepChange], list[StepChange], list[StepChange]]:
    """Steps added, removed and changed between two bodies, matched by their numbers."""
    old, new = parse_steps(old_body).by_number(), parse_steps(new_body).by_number()
    added = [StepChange(n, new[n].name) for n in sorted(set(new) - set(old))]
    removed = [StepChange(n, old[n].name) for n in sorted(set(old) - set(new))]
    changed = []
    for n in sorted(set(old) & set(new)):
        differs = [
            (words, _shown(old[n], key), _shown(new[n], key))
            for key, words in STEP_FIELDS.items()
            if _shown(old[n], key) != _shown(new[n], key)
        ]
        if differs:
            changed.append(StepChange(n, new[n].name, differs))
    return added, removed, changed


def compare(db: Database, doc: Document, a: str, b: str, *, draft_allowed: bool) -> Comparison:
    """Version `a` against version `b` (numbers, or `draft` for the working copy when
    `draft_allowed`); NotFound naming what is missing."""
    with db.read() as s:
        found = {str(v.number): v for v in versions_in(s, doc)}
        picked = []
        for ref in (a, b):
            if ref == DRAFT and draft_allowed:
                picked.append((None, doc.version))
            elif ref in found:
                picked.append((found[ref], found[ref].revision))
            else:
                numbers = ", ".join(found) or "none yet"
                raise NotFound(f"{doc.id} has no version {ref} (its versions: {numbers}).")
        texts = {
            r.number: r.markdown
            for r in s.scalars(
                select(DocumentRevision).where(
                    DocumentRevision.document_id == doc.id,
                    DocumentRevision.number.in_([n for _, n in picked]),
                )
            )
        }
    (old, old_rev), (new, new_rev) = picked
    old_md, new_md = texts[old_rev], texts[new_rev]
    added, removed, changed = step_changes(
        frontmatter.split(old_md)[1], frontmatter.split(new_md)[1]
    )
    return Comparison(old, new, old_md, new_md, added, removed, changed)
