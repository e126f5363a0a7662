"""Controlled vocabularies of the document format (docs/format.md); what differs by kind of
document (statuses, id patterns, folders) is in kb.documents.kinds."""

from __future__ import annotations

import re

from kb.projects.services import PROJECT_KEY, PROJECT_STATUSES  # noqa: F401  (one vocabulary)

TOPICS = (
    "scope",
    "schedule",
    "cost",
    "quality",
    "resources",
    "communications",
    "risk",
    "procurement",
    "stakeholders",
    "governance",
    "technical",
    "change management",
    "benefits",
)
PHASES = (
    "initiation",
    "planning",
    "procurement",
    "design",
    "build",
    "testing",
    "deployment",
    "transition",
    "closure",
)
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

VISIBILITIES = ("internal", "restricted")
GROUP = re.compile(r"^[a-z0-9][a-z0-9 ._-]{0,63}$")
TAG = re.compile(r"^[a-z0-9][a-z0-9 ._+-]{0,62}$")
