"""One example per event type: the documentation shows them (docs/events.md is generated from
the classes) and tests build events from them. Each is checked against its class."""

from __future__ import annotations

import uuid
from typing import Any

from kb.events.kinds import documents, lessons, paths, processes, projects, webhooks
from kb.events.kinds.base import KB_SOURCE, KbEvent

LESSON = {"id": "LL-2025-0007", "title": "Vendor interface specification arrived late"}
SAVED = {"version": 3, "status": "published", "project": "ATLAS", "actor": "maria.lopez"}
REVIEW = {
    "id": 12,
    "project": "ATLAS",
    "due_on": "2026-01-18",
    "facilitator": "maria.lopez@example.org",
}
ACTION = {
    "id": 12,
    "lesson": LESSON["id"],
    "description": "Add an interface-spec gate to vendor onboarding",
    "owner": "owen.price",
    "due_on": "2026-01-31",
    "target_kind": "process_model",
    "target_ref": "PM-0005",
    "status": "open",
    "created_by": "maria.lopez",
    "created_at": "2025-12-23T09:00:00+00:00",
    "closed_by": None,
    "closed_at": None,
    "closing_note": None,
    "title": LESSON["title"],
    "project": "ATLAS",
    "actor": "maria.lopez",
}
STEP = {
    "id": "PM-0007",
    "title": "Vendor onboarding",
    "version": 9,
    "actor": "maria.lopez",
    "project": "ATLAS",
}

#: by class; a type without its own example uses its family's (the nearest base class)
EXAMPLES: dict[type[KbEvent], dict[str, Any]] = {
    webhooks.WebhookTested: {
        "subscription": 3,
        "name": "BI dashboard",
        "sent_by": "ada",
        "message": "A test event from kb: deliveries to this URL work when you can read this.",
    },
    documents.LessonSaved: {**LESSON, "type": "lesson", **SAVED},
    documents.ProcessModelSaved: {
        "id": "PM-0007",
        "type": "process",
        "title": "Vendor onboarding",
        **SAVED,
        "status": "active",
    },
    documents.GuideSaved: {
        "id": "GD-0003",
        "type": "guide",
        "title": "Running a lessons workshop",
        **SAVED,
        "project": None,
    },
    documents.TermSaved: {
        "id": "GL-0012",
        "type": "term",
        "title": "RAID log",
        **SAVED,
        "project": None,
    },
    documents.LessonRejected: {
        **LESSON,
        "type": "lesson",
        "version": 4,
        "status": "rejected",
        "from": "in_review",
        "to": "rejected",
        "reason": "Duplicate of LL-2025-0003",
        "actor": "maria.lopez",
        "project": "ATLAS",
    },
    documents.LessonMerged: {
        **LESSON,
        "type": "lesson",
        "version": 5,
        "status": "merged",
        "from": "published",
        "to": "merged",
        "reason": "Same problem",
        "actor": "maria.lopez",
        "project": "ATLAS",
        "merged_into": "LL-2025-0003",
        "refers_to": "LL-2025-0003",
        "public_reason": None,
    },
    lessons.LessonActionChanged: ACTION,
    lessons.LessonActionClosed: {
        **ACTION,
        "status": "closed",
        "closed_by": "owen.price",
        "closed_at": "2026-01-20T15:30:00+00:00",
        "closing_note": "Gate added in PM-0005 v4",
        "actor": "owen.price",
    },
    lessons.LessonActionOverdue: {k: v for k, v in ACTION.items() if k != "actor"},
    lessons.LessonRecurred: {
        "id": "LL-2024-0001",
        "title": "Supplier delivered the bank interface specification eight weeks late",
        "project": "ATLAS",
        "recurred_in": "LL-2026-0019",
        "recurred_in_title": "Automation supplier's WMS interface specification arrived late",
        "recurred_in_project": "HARBOUR",
        "refers_to": "LL-2026-0019",
        "recurrence_count": 1,
        "score": 0.489,
    },
    lessons.LessonVerificationDue: {**LESSON, "project": "ATLAS", "audit": "AUD-2025-031"},
    lessons.BriefingAnswered: {
        "id": LESSON["id"],
        "briefing": 12,
        "project": "ATLAS",
        "response": "applies",
        "actor": "maria.lopez",
    },
    paths.PathSaved: {
        "id": "LP-0001",
        "title": "Project administrator — your first two weeks",
        "audience": "project administrator",
        "status": "active",
        "steps": 12,
        "minutes": 240,
        "actor": "cora.curator",
    },
    paths.PathProgress: {
        "id": "LP-0001",
        "title": "Project administrator — your first two weeks",
        "person": "nina.new",
        "assigned_by": "cora.curator",
        "actor": "nina.new",
    },
    paths.PathStepAcknowledged: {
        "id": "LP-0001",
        "title": "Project administrator — your first two weeks",
        "person": "nina.new",
        "assigned_by": None,
        "actor": "nina.new",
        "step": 3,
        "target": "PM-0002",
        "version": 4,
    },
    projects.ProjectRegistered: {"key": "ATLAS", "name": "ATLAS"},
    projects.ProjectSaved: {"key": "ATLAS", "name": "Atlas ERP roll-out", "status": "closed"},
    projects.ReviewEvent: REVIEW,
    projects.ReviewOverdue: {**REVIEW, "level": 1, "notify": "project_manager"},
    projects.ReviewCompleted: {
        **REVIEW,
        "completed_by": "maria.lopez",
        "lessons": ["LL-2026-0031", "LL-2026-0032"],
    },
    projects.LessonsRecommended: {
        "briefing": 12,
        "project": "ATLAS",
        "trigger": "gate:G2",
        "recipient": "maria",
        "lessons": [{**LESSON, "reason": "shares tags vendor, interface-spec; same phase: build"}],
    },
    processes.ProcessModelCustodianChanged: {
        "id": "PM-0007",
        "title": "Vendor onboarding",
        "from": "Atlas project team",
        "to": "PMO",
        "owner": "Head of Procurement",
        "project": "ATLAS",
    },
    processes.ProcessModelChanged: {
        "id": "PM-0007",
        "process_id": "PM-0007",
        "title": "Vendor onboarding",
        "version": "2.2",
        "change_type": "updated",
        "effective_from": "2025-10-01",
        "changed_by": "Head of Procurement",
        "summary": "Sanctions screening before the first order.",
        "flagged_lessons": ["LL-2025-0007", "LL-2025-0011"],
    },
    processes.ProcessModelStep: {
        "id": "PM-0007",
        "title": "Vendor onboarding",
        "version": 9,
        "status": "draft",
        "from": "in_review",
        "actor": "owen.price",
        "project": "ATLAS",
        "note": "Step 4 needs the sanctions check.",
    },
    processes.ProcessModelSubmitted: {
        **STEP,
        "status": "in_review",
        "from": "draft",
        "note": None,
        "approvers": ["owen.price", "finance"],
    },
    processes.ProcessModelApproved: {
        **STEP,
        "status": "in_review",
        "from": "in_review",
        "note": None,
        "approvers": ["owen.price"],
        "waiting": ["finance"],
    },
    processes.ProcessModelPublished: {
        **STEP,
        "status": "published",
        "from": "approved",
        "note": None,
        "number": 3,
        "label": "3.0",
        "summary": "Sanctions screening before the first order.",
    },
    processes.ProcessModelRetired: {
        **STEP,
        "status": "retired",
        "from": "published",
        "note": "Replaced by PM-0012.",
    },
    processes.ProcessModelReviewDue: {
        "id": "PM-0007",
        "title": "Vendor onboarding",
        "owner": "Head of Procurement",
        "custodian": "PMO",
        "due_on": "2026-03-01",
        "last_reviewed": "2025-03-01",
        "project": "ATLAS",
        "period_start": "2026-03-01",
    },
    processes.ProcessModelReviewed: {
        "id": "PM-0007",
        "title": "Vendor onboarding",
        "reviewed_by": "maria.lopez",
        "reviewed_on": "2026-02-27",
        "next_review": "2027-02-27",
        "review_period_months": 12,
        "project": "ATLAS",
    },
    processes.TaskCompleted: {
        "id": LESSON["id"],
        "task": 14,
        "kind": "revalidate_lesson",
        "title": LESSON["title"],
        "assignee": "PMO",
        "done_by": "maria.lopez",
        "done_at": "2025-09-15T10:02:00+00:00",
        "note": "Still valid with the sanctions step",
    },
}


def example_data(cls: type[KbEvent]) -> dict[str, Any]:
    if issubclass(cls, documents.LessonTransitioned) and cls not in EXAMPLES:
        # the rejection's example, moving to this type's status
        return {**EXAMPLES[documents.LessonRejected], "status": cls.TO, "to": cls.TO}
    return dict(EXAMPLES[next(c for c in cls.__mro__ if c in EXAMPLES)])


def example(cls: type[KbEvent], **changes: Any) -> KbEvent:
    """An instance of `cls` from its example, with `changes` (field names or aliases)."""
    return cls.model_validate({**example_data(cls), **changes})


def example_envelope(cls: type[KbEvent]) -> dict[str, Any]:
    """The structured CloudEvent a subscriber would receive for the example."""
    event = example(cls)
    out = {
        "specversion": "1.0",
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, event.event_type)),
        "source": KB_SOURCE,
        "type": event.event_type,
        "subject": event.subject,
        "time": "2025-12-22T10:14:03Z",
        "datacontenttype": "application/json",
    }
    if event.partition_key:
        out["partitionkey"] = event.partition_key
    return {**out, "data": event.data()}
