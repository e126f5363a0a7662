"""`audit.completed`: each finding becomes a draft lesson of the audited project's review, and
the project's actioned lessons become due for verification.

- A project with an open review (its closure review first): the findings' lessons join it.
  With none open, the audit opens its own review (origin `audit:<auditId>`, due
  REVIEW_DUE_DAYS after the audit) — a project may have its closure review and one review
  per audit, so neither a completed closure review is reopened nor is an audit before the
  closure lost.
- An audit of no project (an organisation-wide one): there is no review to collect its
  findings, so each finding's lesson (no project) is submitted at once, by kb, to the
  curators' queue. No verification is scheduled: "the project's lessons" means nothing.
- Verification: each `actioned` lesson of the project gets a `verify_lesson` task for the
  PMO and a `lesson.verification_due` event, unless an open one exists already.

Idempotent: (auditId, finding id) is unique in review_lessons, so a finding already drafted
(the same event twice, or the same finding in a later event) is skipped; a lesson already
due for verification is not asked twice.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.config import Config
from kb.core.errors import KbError
from kb.core.text import without_bad_characters
from kb.core.time import day_of, utcnow
from kb.documents import lifecycle
from kb.documents import services as documents
from kb.documents.models import Document
from kb.documents.vocabulary import PRIORITIES
from kb.events.inbound.catalogue import project_key
from kb.events.jobs.registry import Handler, Registry
from kb.events.kinds.lessons import LessonVerificationDue
from kb.events.log.models import Event
from kb.events.log.services import append_event
from kb.markdown import frontmatter
from kb.projects.models import Project
from kb.projects.services import ensure_project
from kb.reviews.models import Review, ReviewLesson
from kb.reviews.services import KB_ACTOR, current_review, open_review
from kb.tasks import services as tasks

log = logging.getLogger(__name__)
TEXT_MAX = 20_000
_NOT_TAG = re.compile(r"[^a-z0-9 ._+-]+")


def severity_tag(severity: object) -> str | None:
    """'High' -> 'severity-high'; None when nothing usable is left."""
    word = _NOT_TAG.sub("-", str(severity or "").strip().lower()).strip(" .-_+")
    return f"severity-{word}"[:63] if word else None


def finding_source(
    finding: dict, *, audit_id: str, scope: str, project: str | None, occurred_on
) -> str:  # noqa: ANN001
    fid = str(finding.get("id")).strip()
    title = " ".join(str(finding.get("title") or "").split())[:200]
    title = title or f"Audit {audit_id} finding {fid}"
    severity = str(finding.get("severity") or "").strip().lower()
    meta: dict = {"title": title, "status": "draft", "polarity": "problem"}
    if severity in PRIORITIES:
        meta["priority"] = severity
    if project:
        meta["project"] = project
    meta["tags"] = [t for t in ("audit", severity_tag(severity)) if t]
    if occurred_on:
        meta["occurred_on"] = occurred_on
    meta["audit"] = audit_id
    meta["finding"] = fid
    what = f"Audit {audit_id}" + (f" ({scope})" if scope else "") + f", finding {fid}"
    what += f" (severity {severity}): {title}" if severity else f": {title}"
    body = f"## What happened\n\n{what[:TEXT_MAX]}\n\n"
    recommendation = str(finding.get("recommendation") or "").strip()[:TEXT_MAX]
    if recommendation:
        body += f"## Recommendation\n\n{recommendation}\n"
    # the finding's text comes from another tool: characters kb refuses are dropped, not the
    # finding (a person reads the draft anyway)
    meta = {k: without_bad_characters(v) if isinstance(v, str) else v for k, v in meta.items()}
    return frontmatter.join(meta, without_bad_characters(body))


def _manager_email(s: Session, key: str) -> str | None:
    project = s.get(Project, key)
    manager = (project.manager or "").strip() if project else ""
    return manager if "@" in manager else None


def _review_for(
    s: Session,
    key: str,
    *,
    audit_id: str,
    scope: str,
    due_days: int,
    completed,
    event_seq: int | None,
) -> Review:  # noqa: ANN001
    review = current_review(s, key, lock=True)
    if review is not None and review.status == "open":
        return review
    origin = f"audit:{audit_id}"
    opened = open_review(
        s,
        key,
        due_on=completed + timedelta(days=due_days),
        facilitator=_manager_email(s, key),
        participants=[],
        closure_type=None,
        outcome_summary=f"Audit {audit_id}: {scope}"[:2000],
        source_event_seq=event_seq,
        origin=origin,
    )
    if opened is not None:
        return opened
    # this audit's own review exists (completed): its late findings still belong there
    return s.scalar(select(Review).where(Review.project_key == key, Review.origin == origin))


def draft_findings(
    s: Session,
    data: dict,
    *,
    audit_id: str,
    key: str | None,
    due_days: int,
    event_seq: int | None,
    event_time,
) -> list[str]:  # noqa: ANN001
    findings = data.get("findings") if isinstance(data.get("findings"), list) else []
    scope = " ".join(str(data.get("scope") or "").split())[:2000]
    completed = day_of(data.get("completedAt")) or (event_time or utcnow()).date()
    review: Review | None = None
    drafted: list[str] = []
    if key and findings:  # an audit is a project tool's event: it may name a project first
        ensure_project(s, key)
    for finding in findings:
        if not isinstance(finding, dict) or not str(finding.get("id") or "").strip():
            continue
        fid = str(finding["id"]).strip()[:200]
        seen = select(ReviewLesson.id).where(
            ReviewLesson.audit_id == audit_id, ReviewLesson.finding_id == fid
        )
        if s.scalar(seen) is not None:
            continue
        try:
            prepared = documents.prepare(
                finding_source(
                    finding, audit_id=audit_id, scope=scope, project=key, occurred_on=completed
                ),
                type_hint="lesson",
            )
        except KbError as exc:  # a finding kb cannot turn into a lesson must not stop the rest
            log.warning("audit %s finding %s not drafted: %s", audit_id, fid, exc.message)
            continue
        if key and review is None:
            review = _review_for(
                s,
                key,
                audit_id=audit_id,
                scope=scope,
                due_days=due_days,
                completed=completed,
                event_seq=event_seq,
            )
        doc = documents.insert_prepared(
            s, prepared, actor=KB_ACTOR, message=f"Drafted from audit {audit_id}, finding {fid}"
        )
        s.add(
            ReviewLesson(
                review_id=review.id if review else None,
                lesson_id=doc.id,
                impact="to_improve",
                source="audit",
                audit_id=audit_id,
                finding_id=fid,
                created_at=utcnow(),
            )
        )
        s.flush()
        if key is None:
            lifecycle.apply_transition(
                s,
                doc,
                "submitted",
                actor=KB_ACTOR,
                reason=f"Finding {fid} of audit {audit_id} (no project)",
            )
        drafted.append(doc.id)
    return drafted


def verification_due(s: Session, key: str, *, audit_id: str) -> list[str]:
    """Ask the PMO to verify each actioned lesson of the project (once while a task is open)."""
    due: list[str] = []
    actioned = select(Document).where(
        Document.type == "lesson", Document.project_key == key, Document.status == "actioned"
    )
    for doc in s.scalars(actioned.order_by(Document.id)):
        subject = f"lessons/{doc.id}"
        asked = tasks.tasks_about(s, "verify_lesson", subject)
        if any(t.status == "open" or (t.details or {}).get("audit") == audit_id for t in asked):
            continue
        details = {"id": doc.id, "title": doc.title, "project": key, "audit": audit_id}
        tasks.open_task(s, "verify_lesson", subject, details)
        append_event(s, LessonVerificationDue(**details))
        due.append(doc.id)
    return due


def on_audit_completed(
    s: Session, data: dict, *, due_days: int, event_seq: int | None, event_time
) -> None:  # noqa: ANN001
    audit_id = " ".join(str(data.get("auditId") or "").split())[:200]
    if not audit_id:
        return
    key = project_key(data)
    draft_findings(
        s,
        data,
        audit_id=audit_id,
        key=key,
        due_days=due_days,
        event_seq=event_seq,
        event_time=event_time,
    )
    if key:
        verification_due(s, key, audit_id=audit_id)


def register(registry: Registry, config: Config) -> None:
    due_days = config.REVIEW_DUE_DAYS

    def handle(s: Session, event: Event) -> None:
        data = event.data if isinstance(event.data, dict) else {}
        on_audit_completed(s, data, due_days=due_days, event_seq=event.seq, event_time=event.time)

    registry.register(
        Handler(
            name="reviews.audit_completed",
            types=(f"{config.EVENT_TYPE_PREFIX}.audit.completed",),
            fn=handle,
        )
    )
