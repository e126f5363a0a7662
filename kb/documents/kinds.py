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
    """What an entry does not say is derived: most kinds number their ids PREFIX-0042, name
    their events after themselves and have the plain life and filters of a guide."""

    name: str  # the `type` in front matter and in the database: "lesson"
    folder: str  # URL segment, content folder and event subject prefix: "lessons"
    label: str  # "Lesson"
    id_prefix: str  # lesson ids add the year: LL-2025-0001; the others PM-0001, GD-0001
    sorts: tuple[tuple[str, str], ...]  # (value, label) of its list page, default first
    plural: str = ""  # "lessons" (in running text: "3 lessons"); by default the label + s
    section: str = ""  # its part of the navigation and the breadcrumbs; by default the plural
    title: str = ""  # the list page's heading; by default the section
    new_label: str = ""  # the button that creates one: "New lesson"
    id_pattern: re.Pattern[str] | None = None  # by default PREFIX- and 4 to 6 digits
    id_example: str = ""  # shown when an id is malformed: "GD-0042"
    event_entity: str = ""  # the middle of its event types: org.pmo.kb.<entity>.created
    statuses: tuple[str, ...] = ("draft", "published", "retired")
    filters: tuple[str, ...] = ("topic", "tag", "status")  # the filters of its list page
    #: statuses a save of the content takes back to draft (it needs its approvals again;
    #: kb.processes.governance): the status of such a kind changes only through its steps
    drafted_on_edit: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        plural = self.plural or self.label.lower() + "s"
        section = self.section or plural[:1].upper() + plural[1:]
        derived = {
            "plural": plural,
            "section": section,
            "title": self.title or section,
            "new_label": self.new_label or f"New {self.singular}",
            "id_pattern": self.id_pattern or re.compile(rf"^{self.id_prefix}-\d{{4,6}}$"),
            "id_example": self.id_example or f"{self.id_prefix}-0042",
            "event_entity": self.event_entity or self.name,
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    @property
    def singular(self) -> str:
        return self.label[:1].lower() + self.label[1:]


_BY_DATE = (("updated", "Recently changed"), ("title", "Title"), ("id", "Id"))

LESSON = Kind(
    name="lesson",
    folder="lessons",
    label="Lesson",
    title="Lessons learned",
    id_pattern=re.compile(r"^LL-\d{4}-\d{4,6}$"),
    id_prefix="LL",
    id_example="LL-2025-0042",
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
    id_prefix="PM",
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
    id_prefix="GD",
    sorts=(("order", "Reading order"), ("updated", "Recently changed"), ("title", "Title")),
)
TERM = Kind(
    name="term",
    folder="glossary",
    label="Glossary term",
    section="Glossary",
    new_label="New term",
    id_prefix="GL",
    sorts=(("title", "A to Z"), ("updated", "Recently changed"), ("id", "Id")),
)

KINDS: tuple[Kind, ...] = (LESSON, PROCESS, GUIDE, TERM)
BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}
BY_FOLDER: dict[str, Kind] = {k.folder: k for k in KINDS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
#: the route converter that matches a kind's folder: /<any(lessons, ..., glossary):folder>
FOLDER_CONVERTER = f"any({', '.join(BY_FOLDER)})"
