"""`org.pmo.process.changed`: kb's model register follows the process repository.

Each change becomes one ProcessChange row (unique on the event's seq, so a replayed event
changes nothing). When kb has the process model (its id is the processId, in any case), the
model gets a new revision with `version:` set — and `status: retired` for a retirement —
every other byte kept; the lessons that rely on it (an action targets it, or their front
matter lists it under `processes:`) each get one open `revalidate_lesson` task per process
version. Every change ends with `org.pmo.kb.processmodel.updated`, also for a processId kb
does not know (recorded, nothing flagged).
"""

from __future__ import annotations

import logging
import re

from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from kb.accounts.viewer import Viewer
from kb.actions.models import Action
from kb.core.errors import KbError
from kb.core.time import day_of, utcnow
from kb.db import Database
from kb.documents import access
from kb.documents import services as documents
from kb.documents.models import Document
from kb.events.kinds.processes import ProcessModelChanged
from kb.events.log.services import append_event
from kb.processes.models import ProcessChange
from kb.tasks import services as tasks

log = logging.getLogger(__name__)

KB_ACTOR = documents.KB_ACTOR  # one name for kb's own changes
CHANGE_TYPES = ("created", "updated", "retired")
#: the process vocabulary's end state (kb.documents.kinds.PROCESS.statuses)
RETIRED = "retired"
#: lessons a process change can call into question: not drafts, nor closed ones
LIVE_LESSONS = (
    "submitted",
    "in_review",
    "published",
    "in_action",
    "actioned",
    "verified",
    "reopened",
)
#: lesson front matter keys that link process models: `processes: [PM-0005]`, `process: PM-0005`
LINK_KEYS = ("processes", "process")
_MODEL_ID = re.compile(r"PM-\d{4,6}")
VERSION_MAX = 32  # what the document format allows for `version:`


def version_text(value: object) -> str:
    """ "2.2", 2.2 and 3 -> "2.2", "2.2", "3"; anything else -> ""."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return str(value).strip()[:64]


def revise_model(
    s: Session, doc: Document, *, version: str, change_type: str, changed_by: str
) -> bool:
    """Write the change into the model's front matter (a new revision by `kb`); False when
    it says so already or the version cannot be written (it is still recorded)."""
    changes = {}
    if version and (doc.model_version or "") != version:
        if len(version) > VERSION_MAX:
            log.warning("process %s: version %r is too long for the front matter", doc.id, version)
        else:
            changes["version"] = version
    if change_type == RETIRED and doc.status != RETIRED:
        changes["status"] = RETIRED
    verb = "Retired" if change_type == RETIRED else "Version " + version
    try:
        return documents.change_front_matter(
            s, doc, changes, actor=KB_ACTOR, message=f"{verb}: process change by {changed_by}"
        )
    except KbError:
        log.warning("process %s: the change cannot be written into it", doc.id, exc_info=True)
        return False


def links_model(extra: dict | None, model_id: str) -> bool:
    """Whether a lesson's extra front matter lists the model (an id or a link ending in it)."""
    for key in LINK_KEYS:
        value = (extra or {}).get(key)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if item is not None and model_id in _MODEL_ID.findall(str(item).upper()):
                return True
    return False


def linked_lessons(s: Session, model_id: str) -> list[Document]:
    """Live lessons with an action targeting the model or front matter linking it."""
    targeted = set(
        s.scalars(
            select(Action.lesson_id).where(
                Action.target_kind == "process_model", func.upper(Action.target_ref) == model_id
            )
        )
    )
    # a coarse filter in SQL (the JSON as text mentions the id), the exact test in Python
    mention = func.upper(cast(Document.extra, Text)).like(f"%{model_id}%")
    linking = {
        d.id
        for d in s.scalars(select(Document).where(Document.type == "lesson", mention))
        if links_model(d.extra, model_id)
    }
    ids = targeted | linking
    if not ids:
        return []
    query = (
        select(Document)
        .where(Document.id.in_(ids), Document.type == "lesson", Document.status.in_(LIVE_LESSONS))
        .order_by(Document.id)
    )
    return list(s.scalars(query))


def flag_lesson(
    s: Session, lesson: Document, model: Document, *, version: str, change_type: str
) -> bool:
    """One open `revalidate_lesson` task per lesson and process version; False if it has one."""
    subject = f"lessons/{lesson.id}"
    for task in tasks.tasks_about(s, "revalidate_lesson", subject, status="open"):
        details = task.details or {}
        if details.get("process_id") == model.id and details.get("version") == version:
            return False
    tasks.open_task(
        s,
        "revalidate_lesson",
        subject,
        {
            "id": lesson.id,
            "title": lesson.title,
            "project": lesson.project_key,
            "process_id": model.id,
            "version": version,
            "process_title": model.title,
            "change_type": change_type,
        },
    )
    return True


def change_json(change: ProcessChange, title: str | None = None) -> dict:
    return {
        "id": change.document_id,
        "process_id": change.process_id,
        "title": title,
        "version": change.version,
        "change_type": change.change_type,
        "effective_from": change.effective_from.isoformat() if change.effective_from else None,
        "changed_by": change.changed_by,
        "summary": change.summary,
        "flagged_lessons": list(change.flagged_lessons or []),
    }


def on_process_changed(s: Session, data: dict, *, event_seq: int) -> ProcessChange | None:
    """What `process.changed` does (None when this event was recorded already or names no
    process)."""
    if s.scalar(select(ProcessChange.id).where(ProcessChange.event_seq == event_seq)):
        return None
    process_id = str(data.get("processId") or "").strip().upper()[:200]
    change_type = data.get("changeType")
    if not process_id or change_type not in CHANGE_TYPES:
        log.warning("process.changed #%s names no process or change type: ignored", event_seq)
        return None
    version = version_text(data.get("version"))
    changed_by = str(data.get("changedBy") or "").strip()[:200] or "unknown"
    doc = s.scalar(select(Document).where(Document.id == process_id, Document.type == "process"))
    flagged: list[str] = []
    if doc is not None:
        s.refresh(doc, with_for_update=True)  # two changes of one model: one after the other
        # runs of process.changed are not ordered: an older change arriving late is recorded
        # but does not overwrite what a newer one wrote
        newer = s.scalar(
            select(ProcessChange.id).where(
                ProcessChange.process_id == process_id, ProcessChange.event_seq > event_seq
            )
        )
        if newer is None:
            revise_model(s, doc, version=version, change_type=change_type, changed_by=changed_by)
        for lesson in linked_lessons(s, doc.id):
            flag_lesson(s, lesson, doc, version=version, change_type=change_type)
            flagged.append(lesson.id)
    change = ProcessChange(
        process_id=process_id,
        version=version,
        change_type=change_type,
        effective_from=day_of(data.get("effectiveFrom")),
        changed_by=changed_by,
        summary=str(data.get("summary") or ""),
        event_seq=event_seq,
        document_id=doc.id if doc is not None else None,
        flagged_lessons=flagged,
        recorded_at=utcnow(),
    )
    s.add(change)
    s.flush()
    append_event(
        s,
        ProcessModelChanged(**change_json(change, doc.title if doc else None)),
        partition_key=doc.project_key if doc is not None else None,
    )
    return change


# --- reading -----------------------------------------------------------------------------


def list_changes(db: Database, process_id: str) -> list[ProcessChange]:
    """The recorded changes of one process, newest first."""
    with db.read() as s:
        query = select(ProcessChange).where(ProcessChange.process_id == process_id.strip().upper())
        return list(s.scalars(query.order_by(ProcessChange.event_seq.desc())))


def readable_ids(db: Database, ids: list[str], viewer: Viewer) -> set[str]:
    """Those of `ids` whose documents `viewer` may read."""
    if not ids:
        return set()
    with db.read() as s:
        query = select(Document.id).where(Document.id.in_(ids), access.readable(viewer))
        return set(s.scalars(query))


def recent_changes(db: Database, limit: int = 20) -> list[ProcessChange]:
    with db.read() as s:
        query = select(ProcessChange).order_by(ProcessChange.event_seq.desc()).limit(limit)
        return list(s.scalars(query))
