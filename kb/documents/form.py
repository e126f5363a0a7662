"""A document as form fields and back: one field per front matter key, one text per body section.

Writing goes through the same parser and dumper as the Markdown editor, so the form stores the
Markdown kb stores today. What the form does not show is kept as written: keys kb does not
know, text before the first section, sections with other headings. A field left as it was
keeps its original bytes, so opening a document and saving it unchanged gives the same Markdown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from kb.documents.form_body import as_shown, compose_body, compose_steps, known, split_body
from kb.documents.frontmatter_edit import replace_key
from kb.documents.records import FIELD_ORDER
from kb.markdown import frontmatter

#: the front matter keys each type's form shows, in the order it shows them (the status of a
#: lesson or a process model follows its lifecycle — Submit, Publish — and is not typed in)
FIELDS = {
    "lesson": (
        "title",
        "polarity",
        "priority",
        "project",
        "phase",
        "occurred_on",
        "author",
        "topics",
        "tags",
        "visibility",
        "groups",
    ),
    # a process model's and a guide's forms show their keys in kb's own order (after the id)
    "process": tuple(FIELD_ORDER["process"][1:]),
    "guide": tuple(FIELD_ORDER["guide"][1:]),
    "term": tuple(key for key in FIELD_ORDER["term"] if key != "id"),
}
LABELS = {
    "title": "Title",
    "summary": "Summary",
    "status": "Status",
    "polarity": "Problem or success",
    "priority": "Priority",
    "impact": "Priority",
    "project": "Project",
    "phase": "Phase",
    "topics": "Topics",
    "tags": "Tags",
    "occurred_on": "When it happened",
    "date": "When it happened",
    "author": "Author",
    "version": "Version",
    "state": "As-is or to-be",
    "owner": "Owner",
    "expert": "Expert",
    "custodian": "Custodian",
    "approvers": "Approvers",
    "roles": "Roles",
    "review_period_months": "Review every (months)",
    "last_reviewed": "Last reviewed",
    "order": "Reading order",
    "aliases": "Other names (aliases)",
    "related": "Related terms",
    "visibility": "Who can read it",
    "groups": "Groups",
}
LIST_KEYS = {"topics", "tags", "groups", "roles", "approvers", "aliases", "related"}
DATE_KEYS = {"occurred_on", "last_reviewed"}
NUMBER_KEYS = {"review_period_months", "order"}
#: what the parser takes when a key is absent: a select showing it changes nothing
DEFAULTS = {
    "visibility": "internal",
    "status": "draft",
    "polarity": "problem",
    "priority": "medium",
    "state": "as-is",
}
#: older lesson files say `impact:` and `date:`; the form edits whichever key the file has
ALIASES = {"priority": "impact", "occurred_on": "date"}

#: body sections (docs/format.md) with a one-line hint of what belongs in each
SECTIONS = {
    "lesson": (
        ("Summary", "One or two sentences: what should the next project know?"),
        ("What happened", "The facts, with dates and numbers: what was planned, what happened."),
        ("Impact", "What it cost or saved: time, money, quality, people."),
        ("Root cause", "Why it happened — the cause, not the symptom."),
        ("Lesson", "What we learned, in one or two sentences anyone can reuse."),
        ("Recommendation", "What the next project should do, and who should do it."),
        ("Evidence", "Where to check: documents, reports, figures, links."),
    ),
    "process": (
        ("Purpose", "Why this process exists and what it achieves."),
        ("Scope", "Where it applies and where it does not."),
        ("Steps", "What applies to every role (optional); each role's steps follow below."),
        ("Exceptions", "What to do when the normal steps do not fit."),
    ),
    "guide": (("Text", "The guide itself. Link to the lessons and process models to read."),),
    "term": (("Text", "The definition: what the term means in this PMO, with an example."),),
}
#: kinds whose body is one text, without sections
ONE_TEXT = ("guide", "term")


@dataclass
class FormValues:
    """What the form shows or what a person posted: field values and section texts."""

    doc_type: str
    fields: dict[str, Any] = field(default_factory=dict)
    sections: dict[str, str] = field(default_factory=dict)
    #: what the form keeps without showing it (for the notice under the form)
    kept_keys: list[str] = field(default_factory=list)
    kept_sections: list[str] = field(default_factory=list)
    has_preamble: bool = False
    #: a process model's steps, one text per role (`### Role` under Steps); the text before
    #: the first role heading is the Steps section itself
    role_steps: list[tuple[str, str]] = field(default_factory=list)


def _names(doc_type: str) -> list[str]:
    return [name for name, _ in SECTIONS[doc_type]]


def key_for(doc_type: str, name: str, meta: dict[str, Any]) -> str:
    """The front matter key a field is stored under in this file."""
    alias = ALIASES.get(name) if doc_type == "lesson" else None
    return alias if alias and name not in meta and alias in meta else name


def shown(value: Any, name: str) -> Any:
    """A front matter value as its form field holds it (text, or a list of texts)."""
    if name in LIST_KEYS:
        if value is None or value == "":
            return []
        items = value.split(",") if isinstance(value, str) else value
        items = items if isinstance(items, list) else [items]
        return [str(x).strip() for x in items if str(x).strip()]
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()[:10] if name in DATE_KEYS else value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _same(old: Any, new: Any, name: str) -> bool:
    a, b = shown(old, name), shown(new, name)
    if old is None and b == DEFAULTS.get(name):
        return True
    return sorted(a) == sorted(b) if name in LIST_KEYS else a == b


def from_markdown(source: str, doc_type: str) -> FormValues:
    meta, body = frontmatter.split(source)
    values = FormValues(doc_type)
    for name in FIELDS[doc_type]:
        values.fields[name] = shown(meta.get(key_for(doc_type, name, meta)), name)
    used = {key_for(doc_type, name, meta) for name in FIELDS[doc_type]}
    values.kept_keys = [k for k in meta if k not in used and k not in ("id", "type", "status")]
    if doc_type in ONE_TEXT:
        values.sections["Text"] = as_shown(body)
        return values
    parts = split_body(body)
    values.has_preamble = bool(parts.preamble.strip())
    found: set[str] = set()
    values.sections = dict.fromkeys(_names(doc_type), "")
    for block in parts.blocks:
        name = known(_names(doc_type), block.name)
        if name and name not in found:
            found.add(name)
            values.sections[name] = as_shown(block.content)
        else:
            values.kept_sections.append(block.name)
    if doc_type == "process":
        steps = split_body(values.sections["Steps"], level=3)
        values.sections["Steps"] = as_shown(steps.preamble)
        values.role_steps = [(b.name, as_shown(b.content)) for b in steps.blocks]
        named = {name for name, _ in values.role_steps}
        values.role_steps += [(r, "") for r in values.fields["roles"] if r not in named]
    return values


def from_post(doc_type: str, getlist: Callable[[str], list[str]]) -> FormValues:
    """Read a posted form (field `m_<key>`, section `s_<n>`); lists come as comma-separated
    text or as several values (topic checkboxes)."""
    values = FormValues(doc_type)
    for name in FIELDS[doc_type]:
        posted = [x.replace("\r\n", "\n") for x in getlist(f"m_{name}")]
        if name in LIST_KEYS:
            items = [part.strip() for x in posted for part in x.split(",")]
            values.fields[name] = list(dict.fromkeys(x for x in items if x))
        else:
            values.fields[name] = posted[0].strip() if posted else ""
    for number, name in enumerate(_names(doc_type)):
        posted = getlist(f"s_{number}")
        values.sections[name] = as_shown(posted[0]) if posted else ""
    number = 0
    while doc_type == "process" and (role := getlist(f"rn_{number}")):
        text = as_shown((getlist(f"r_{number}") or [""])[0])
        values.role_steps.append((role[0].strip(), text))
        number += 1
    named = {name for name, _ in values.role_steps}
    values.role_steps += [(r, "") for r in values.fields.get("roles", []) if r not in named]
    return values


def _stored(name: str, value: Any, old: Any) -> Any:
    """A posted value as front matter holds it: lists keep their old order, dates are dates."""
    if name in LIST_KEYS:
        kept = [x for x in shown(old, name) if x in value]
        return kept + [x for x in value if x not in kept]
    if name in DATE_KEYS:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value  # the parser says what is wrong with it
    if name in NUMBER_KEYS and re.fullmatch(r"\d{1,6}", value):
        return int(value)
    return value


def _front_matter(source: str, meta: dict[str, Any], values: FormValues) -> str | None:
    """The new front matter with the changed fields, or None when nothing changed.
    A changed text field is rewritten in place (comments and layout survive); anything else
    writes the block again with kb's dumper."""
    new = dict(meta)
    changed: list[str] = []
    for name in FIELDS[values.doc_type]:
        key = key_for(values.doc_type, name, meta)
        posted = values.fields.get(name, [] if name in LIST_KEYS else "")
        if _same(meta.get(key), posted, name):
            continue
        changed.append(key)
        if posted in ("", []):
            new.pop(key, None)
        else:
            new[key] = _stored(name, posted, meta.get(key))
    if not changed:
        return None
    if all(isinstance(new.get(k), str) and isinstance(meta.get(k), str) for k in changed):
        try:
            for key in changed:
                source = replace_key(source, key, new[key])
            return source
        except ValueError:
            pass
    return frontmatter.join(new, "").removesuffix("\n")


def _body(body: str, values: FormValues) -> str:
    sections = dict(values.sections)  # the posted values stay as typed, for the form
    if values.doc_type in ONE_TEXT:
        text = sections.get("Text", "")
        return body if text == as_shown(body) else f"\n{text}\n" if text else ""
    if values.doc_type == "process":
        old = next(
            (
                b.content
                for b in split_body(body).blocks
                if known(_names("process"), b.name) == "Steps"
            ),
            "",
        )
        sections["Steps"] = compose_steps(old, sections.get("Steps", ""), values.role_steps)
    return compose_body(body, _names(values.doc_type), sections)


def to_markdown(values: FormValues, base: str | None = None) -> str:
    """The Markdown for `values`: `base` (the revision edited) with the changed fields and
    sections replaced, or a new document in the canonical key order."""
    if base is None:
        order = [k for k in FIELD_ORDER[values.doc_type] if k in FIELDS[values.doc_type]]
        meta = {k: _stored(k, values.fields[k], None) for k in order if values.fields.get(k)}
        body = _body("", values)
        return frontmatter.join(meta, body.removeprefix("\n"))
    source = base.removeprefix("\ufeff")
    meta, body = frontmatter.split(source)
    head = source[: len(source) - len(body)]
    new_head = _front_matter(head, meta, values)
    new_body = _body(body, values)
    if new_head is None and new_body == body:
        return base
    return (new_head or head) + new_body


def plain(message: str, doc_type: str) -> str:
    """Parser messages name keys in backticks (`title` is required.); the form names the
    field as its label does (Title is required.)."""

    def label(m: re.Match) -> str:
        return LABELS.get(m.group(1), m.group(1).replace("_", " ").capitalize())

    return re.sub(r"`([a-z_]+)`", label, message)


def field_of(problem_field: str | None, doc_type: str) -> str | None:
    """The form field a parser problem belongs to (None: the form as a whole)."""
    reverse = {alias: name for name, alias in ALIASES.items()}
    name = reverse.get(problem_field or "", problem_field)
    return name if name in FIELDS[doc_type] else None
