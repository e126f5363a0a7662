"""Controlled vocabularies of the document format (docs/format.md)."""

from __future__ import annotations

import re

from kb.projects.services import PROJECT_KEY, PROJECT_STATUSES  # noqa: F401  (one vocabulary)

TYPES = ("lesson", "process", "guide")
TYPE_BY_FOLDER = {"lessons": "lesson", "processes": "process", "guides": "guide"}
FOLDER_BY_TYPE = {v: k for k, v in TYPE_BY_FOLDER.items()}
TYPE_LABELS = {"lesson": "Lesson", "process": "Process model", "guide": "Guide"}

STATUSES = {
    "lesson": (
        "draft", "submitted", "in_review", "published", "in_action", "actioned",
        "verified", "archived", "rejected", "merged", "reopened",
    ),
    "process": ("draft", "in_review", "published", "retired"),
    "guide": ("draft", "published", "retired"),
}  # fmt: skip
TOPICS = (
    "scope", "schedule", "cost", "quality", "resources", "communications", "risk",
    "procurement", "stakeholders", "governance", "technical", "change management", "benefits",
)  # fmt: skip
PHASES = (
    "initiation", "planning", "procurement", "design", "build", "testing",
    "deployment", "transition", "closure",
)  # fmt: skip
POLARITIES = ("problem", "success")
PRIORITIES = ("low", "medium", "high", "critical")
PROCESS_STATES = ("as-is", "to-be")

#: categories used by other lessons tools, mapped onto our topics (the original is kept too)
TOPIC_ALIASES = {
    "risk management": "risk",
    "stakeholder management": "stakeholders",
    "vendor management": "procurement",
    "budget & cost": "cost",
    "budget": "cost",
    "testing & quality": "quality",
    "testing": "quality",
    "data migration": "technical",
    "requirements": "scope",
    "resourcing": "resources",
    "security & compliance": "governance",
    "communication": "communications",
    "stakeholder": "stakeholders",
    "change": "change management",
}
#: words some tools use for phases
PHASE_ALIASES = {
    "test": "testing",
    "execution": "build",
    "close": "closure",
    "start-up": "initiation",
}

ID_PATTERNS = {
    "lesson": re.compile(r"^LL-\d{4}-\d{4,6}$"),
    "process": re.compile(r"^PM-\d{4,6}$"),
    "guide": re.compile(r"^GD-\d{4,6}$"),
}
ANY_ID = re.compile(r"^(LL-\d{4}-\d{4,6}|PM-\d{4,6}|GD-\d{4,6})$")
VISIBILITIES = ("internal", "restricted")
GROUP = re.compile(r"^[a-z0-9][a-z0-9 ._-]{0,63}$")
TAG = re.compile(r"^[a-z0-9][a-z0-9 ._+-]{0,62}$")
