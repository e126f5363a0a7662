"""The kinds of document kb keeps, in one registry: everything that differs by kind and is not
the format of a field (docs/format.md) is a property of its `Kind` here.

A new kind of document is one more entry in KINDS; pages, API, ids, events and import read
it from here rather than from tables of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str  # the `type` in front matter and in the database: "lesson"
    folder: str  # URL segment, content folder and event subject prefix: "lessons"
    label: str  # "Lesson"
    plural: str  # "lessons" (in running text: "3 lessons")
    title: str  # the list page's heading
    section: str  # its part of the navigation and the breadcrumbs
    new_label: str  # the button that creates one
    id_pattern: re.Pattern[str]
    id_prefix: str  # lesson ids add the year: LL-2025-0001; the others PM-0001, GD-0001
    id_example: str  # shown when an id is malformed
    event_entity: str  # the middle of its event types: org.pmo.kb.<entity>.created
    statuses: tuple[str, ...]
    filters: tuple[str, ...]  # the filters of its list page
    sorts: tuple[tuple[str, str], ...]  # (value, label) of its list page, default first
    #: statuses a save of the content takes back to draft (it needs its approvals again;
    #: kb.processes.governance): the status of such a kind changes only through its steps
    drafted_on_edit: tuple[str, ...] = ()

    @property
    def singular(self) -> str:
        return self.label[:1].lower() + self.label[1:]


_BY_DATE = (("updated", "Recently changed"), ("title", "Title"), ("id", "Id"))

LESSON = Kind(
    name="lesson",
    folder="lessons",
    label="Lesson",
    plural="lessons",
    title="Lessons learned",
    section="Lessons",
    new_label="New lesson",
    id_pattern=re.compile(r"^LL-\d{4}-\d{4,6}$"),
    id_prefix="LL",
    id_example="LL-2025-0042",
    event_entity="lesson",
    statuses=(
        "draft",
        "submitted",
        "in_review",
        "published",
        "in_action",
        "actioned",
        "verified",
        "archived",
        "rejected",
        "merged",
        "reopened",
    ),
    filters=("topic", "phase", "project", "tag", "status", "polarity"),
    sorts=_BY_DATE,
)
PROCESS = Kind(
    name="process",
    folder="processes",
    label="Process model",
    plural="process models",
    title="Process models",
    section="Process models",
    new_label="New process model",
    id_pattern=re.compile(r"^PM-\d{4,6}$"),
    id_prefix="PM",
    id_example="PM-0042",
    event_entity="processmodel",
    statuses=("draft", "in_review", "approved", "published", "retired"),
    filters=("topic", "phase", "project", "tag", "status"),
    sorts=_BY_DATE,
    drafted_on_edit=("in_review", "approved", "published"),
)
GUIDE = Kind(
    name="guide",
    folder="guides",
    label="Guide",
    plural="guides",
    title="Guides",
    section="Guides",
    new_label="New guide",
    id_pattern=re.compile(r"^GD-\d{4,6}$"),
    id_prefix="GD",
    id_example="GD-0042",
    event_entity="guide",
    statuses=("draft", "published", "retired"),
    filters=("topic", "tag", "status"),
    sorts=(("order", "Reading order"), ("updated", "Recently changed"), ("title", "Title")),
)

TERM = Kind(
    name="term",
    folder="glossary",
    label="Glossary term",
    plural="glossary terms",
    title="Glossary",
    section="Glossary",
    new_label="New term",
    id_pattern=re.compile(r"^GL-\d{4,6}$"),
    id_prefix="GL",
    id_example="GL-0042",
    event_entity="term",
    statuses=("draft", "published", "retired"),
    filters=("topic", "tag", "status"),
    sorts=(("title", "A to Z"), ("updated", "Recently changed"), ("id", "Id")),
)

KINDS: tuple[Kind, ...] = (LESSON, PROCESS, GUIDE, TERM)
BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}
BY_FOLDER: dict[str, Kind] = {k.folder: k for k in KINDS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
#: the route converter that matches a kind's folder: /<any(lessons, ..., glossary):folder>
FOLDER_CONVERTER = f"any({', '.join(BY_FOLDER)})"
