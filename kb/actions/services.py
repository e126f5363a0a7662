"""Adding and closing a lesson's actions, and recording that none is needed.

Each change writes its row, one audit entry and one event (`org.pmo.kb.lesson.action.added` /
`.action.closed`) in one transaction; the lesson then moves on through the lifecycle
(kb.documents.lifecycle.transition_lesson, its own transaction and its own event):
the first action on a `published` lesson → `in_action`; the last open action of an
`in_action` lesson closing → `actioned`.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from kb.accounts.services import audit
from kb.accounts.viewer import SYSTEM, Viewer
from kb.actions.models import TARGET_KINDS, Action
from kb.core.errors import Conflict, Forbidden, NotFound, ValidationError
from kb.core.text import is_blank
from kb.core.time import utcnow
from kb.db import Database
from kb.documents import access, lifecycle
from kb.documents import services as documents
from kb.documents.models import Document
from kb.events.kinds.lessons import LessonActionAdded, LessonActionClosed
from kb.events.log.services import append_event

#: lesson statuses that take new actions
OPEN_FOR_ACTIONS = ("published", "in_action")
ACTION_KINDS = tuple(k for k in TARGET_KINDS if k != "none")
MAX_TEXT = 2000
#: a lesson's actions, oldest first (built once: a lesson's page asks on every view)
LESSON_ACTIONS = (
    select(Action).where(Action.lesson_id == bindparam("lesson_id")).order_by(Action.id)
)


def action_json(action: Action) -> dict:
    return {
        "id": action.id,
        "lesson": action.lesson_id,
        "description": action.description,
        "owner": action.owner,
        "due_on": action.due_on.isoformat() if action.due_on else None,
        "target_kind": action.target_kind,
        "target_ref": action.target_ref,
        "status": action.status,
        "created_by": action.created_by,
        "created_at": action.created_at.isoformat() if action.created_at else None,
        "closed_by": action.closed_by,
        "closed_at": action.closed_at.isoformat() if action.closed_at else None,
        "closing_note": action.closing_note,
    }


# --- reading -----------------------------------------------------------------------------


def _lesson(db: Database, lesson_id: str, viewer: Viewer) -> Document:
    doc = documents.get_readable(db, (lesson_id or "").strip().upper(), viewer)
    if doc is None or doc.type != "lesson":
        raise NotFound(f"There is no lesson {lesson_id}.")
    return doc


def list_actions(db: Database, lesson: str | Document, *, viewer: Viewer = SYSTEM) -> list[Action]:
    """The lesson's actions, oldest first (404 when `viewer` may not read the lesson). Given
    the lesson itself (as a page has read it), it is not read again."""
    doc = lesson if isinstance(lesson, Document) else _lesson(db, lesson, viewer)
    if doc.type != "lesson" or not access.can_read(viewer, doc):
        raise NotFound(f"There is no lesson {doc.id}.")
    with db.read() as s:
        return list(s.scalars(LESSON_ACTIONS, {"lesson_id": doc.id}))


def get_action(db: Database, action_id: int, *, viewer: Viewer) -> Action:
    with db.read() as s:
        action = s.get(Action, action_id)
    if action is None or documents.get_readable(db, action.lesson_id, viewer) is None:
        raise NotFound(f"There is no action {action_id}.")
    return action


def may_close(viewer: Viewer, action: Action) -> bool:
    if action.status != "open" or viewer.is_anonymous or viewer.read_only:
        return False
    return viewer.has_role("curator") or action.owner == viewer.username


def may_add(viewer: Viewer, doc: Document) -> bool:
    """Whether `viewer` may add actions to `doc` now (or record that it needs none)."""
    return viewer.has_role("curator") and doc.status in OPEN_FOR_ACTIONS


# --- checks ------------------------------------------------------------------------------


def _text(value: object, field: str, what: str, *, limit: int = MAX_TEXT) -> str:
    if value is not None and not isinstance(value, str):
        raise ValidationError(f"`{field}` must be a string.", field=field)
    value = (value or "").strip()
    if is_blank(value):
        raise ValidationError(f"Give {what}.", field=field)
    if len(value) > limit:
        raise ValidationError(f"Keep {what} under {limit:,} characters.", field=field)
    return value


def _due(value: object) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationError("Give the due date as YYYY-MM-DD.", field="due_on")


def _target(db: Database, kind: object, ref: object) -> tuple[str, str]:
    if kind not in ACTION_KINDS:
        raise ValidationError(
            f"The target must be one of: {', '.join(ACTION_KINDS)}.", field="target_kind"
        )
    ref = _text(ref, "target_ref", "the target (a process model id or a link)", limit=500)
    if kind == "process_model":
        ref = ref.upper()
        target = documents.get_document(db, ref)
        if target is None or target.type != "process":
            raise ValidationError(f"There is no process model {ref}.", field="target_ref")
    return kind, ref


def _require_curator(viewer: Viewer, what: str) -> None:
    if not viewer.has_role("curator"):
        raise Forbidden(f"Only curators (the PMO) can {what}.")


def _transition_viewer(viewer: Viewer) -> Viewer:
    """Who moves the lesson on: the acting curator, or kb itself for an action's owner."""
    return viewer if viewer.has_role("curator") else SYSTEM


# --- changing ----------------------------------------------------------------------------


def _emit(s, verb: str, action: Action, doc: Document, actor: str) -> None:  # noqa: ANN001
    changed = LessonActionAdded if verb == "added" else LessonActionClosed
    audit(
        s,
        actor,
        f"lesson.action.{verb}",
        doc.id,
        action_id=action.id,
        target_kind=action.target_kind,
        target_ref=action.target_ref,
    )
    append_event(
        s, changed(**action_json(action), title=doc.title, project=doc.project_key, actor=actor)
    )


def add_action(
    db: Database,
    lesson_id: str,
    *,
    viewer: Viewer,
    description: object,
    owner: object,
    due_on: object,
    target_kind: object,
    target_ref: object,
) -> Action:
    """A curator adds an action to a published or in-action lesson; the first one on a
    published lesson moves it to `in_action`."""
    doc = _lesson(db, lesson_id, viewer)
    _require_curator(viewer, "add actions to lessons")
    if doc.status not in OPEN_FOR_ACTIONS:
        raise ValidationError(
            f"A {doc.status.replace('_', ' ')} lesson takes no actions; only published or "
            "in-action lessons do.",
            field="lesson",
        )
    action = Action(
        lesson_id=doc.id,
        description=_text(description, "description", "a description"),
        owner=_text(owner, "owner", "the owner", limit=120),
        due_on=_due(due_on),
        status="open",
        created_by=viewer.actor,
        created_at=utcnow(),
    )
    action.target_kind, action.target_ref = _target(db, target_kind, target_ref)
    with db.write() as s:
        s.add(action)
        s.flush()
        _emit(s, "added", action, doc, viewer.actor)
    if doc.status == "published":
        lifecycle.transition_lesson(db, doc.id, "in_action", viewer=_transition_viewer(viewer))
    return action


def close_action(db: Database, action_id: int, *, viewer: Viewer, note: object = None) -> Action:
    """A curator, or the action's owner (when it is their username), closes it; when the last
    open action of an in-action lesson closes, the lesson becomes `actioned`."""
    action = get_action(db, action_id, viewer=viewer)
    if action.status != "open":
        raise Conflict(f"Action {action_id} is already closed.")
    if not may_close(viewer, action):
        raise Forbidden("Only the action's owner and curators (the PMO) can close an action.")
    note = (note or "").strip() if isinstance(note, str) or note is None else None
    if note is None:
        raise ValidationError("`note` must be a string.", field="note")
    if len(note) > MAX_TEXT:
        raise ValidationError(f"Keep the note under {MAX_TEXT:,} characters.", field="note")
    with db.write() as s:
        locked = s.get(Action, action.id, with_for_update=True)
        if locked.status != "open":
            raise Conflict(f"Action {action_id} is already closed.")
        doc = close_in(s, locked, actor=viewer.actor, note=note)
        still_open = open_count(s, locked.lesson_id)
        action = locked
    if not still_open and doc.status == "in_action":
        lifecycle.transition_lesson(db, doc.id, "actioned", viewer=_transition_viewer(viewer))
    return action


def close_in(s: Session, action: Action, *, actor: str, note: str) -> Document:
    """Close an open action (loaded in `s`) inside the caller's transaction: its row, audit
    entry and event; the lesson it belongs to. No permission check: the caller decides."""
    action.status, action.closed_by, action.closed_at = "closed", actor, utcnow()
    action.closing_note = note or None
    doc = s.get(Document, action.lesson_id)
    _emit(s, "closed", action, doc, actor)
    return doc


def open_count(s: Session, lesson_id: str) -> int:
    query = select(func.count(Action.id)).where(
        Action.lesson_id == lesson_id, Action.status == "open"
    )
    return s.scalar(query)


def no_action(db: Database, lesson_id: str, *, viewer: Viewer, rationale: object) -> Action:
    """A curator records why a lesson needs no action: a closed action of kind `none`; the
    lesson goes published → in_action → actioned (an in-action lesson with nothing open
    goes straight to actioned)."""
    doc = _lesson(db, lesson_id, viewer)
    _require_curator(viewer, "record that a lesson needs no action")
    rationale = _text(rationale, "rationale", "the rationale for taking no action")
    if doc.status not in OPEN_FOR_ACTIONS:
        raise ValidationError(
            f"A {doc.status.replace('_', ' ')} lesson cannot be marked as needing no action.",
            field="lesson",
        )
    now = utcnow()
    with db.write() as s:
        still_open = open_count(s, doc.id)
        if still_open:
            raise Conflict(f"{doc.id} has {still_open} open action(s); close them first.")
        action = Action(
            lesson_id=doc.id,
            description=rationale,
            owner=viewer.actor,
            due_on=None,
            target_kind="none",
            target_ref=None,
            status="closed",
            created_by=viewer.actor,
            created_at=now,
            closed_by=viewer.actor,
            closed_at=now,
            closing_note=rationale,
        )
        s.add(action)
        s.flush()
        _emit(s, "added", action, doc, viewer.actor)
        _emit(s, "closed", action, doc, viewer.actor)
    if doc.status == "published":
        lifecycle.transition_lesson(
            db, doc.id, "in_action", viewer=viewer, reason="No action needed"
        )
    lifecycle.transition_lesson(db, doc.id, "actioned", viewer=viewer, reason=rationale)
    return action
