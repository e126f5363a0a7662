"""Lessons <-> process models: an action on a lesson targets a model; a model version cites
the lessons it addresses (front matter `addresses: [LL-2026-0042]`).

A link reads "LL-2026-0042 → Procurement approval v4, published 2026-05-02". When a version
citing a lesson is published, that lesson's open actions targeting the model close (by kb,
with a note naming the version), and the lesson moves on as a closed action moves it today
(its last open action closing: `in_action` → `actioned`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Text, bindparam, cast, func, select
from sqlalchemy.orm import Session

from kb.accounts.viewer import Viewer
from kb.actions import services as actions
from kb.actions.models import Action
from kb.core.errors import ValidationError
from kb.db import Database
from kb.documents import access, lifecycle
from kb.documents.models import Document, DocumentRevision
from kb.markdown import frontmatter

ADDRESSES = "addresses"
_LESSON_ID = re.compile(r"LL-\d{4}-\d{4,6}")
PUBLISHED = "published"
KB_ACTOR = "kb"


def addressed(extra: dict | None) -> list[str]:
    """The lesson ids a model's front matter cites under `addresses:` (a list or one value;
    ids or links ending in them), in their order, each once."""
    value = (extra or {}).get(ADDRESSES)
    items = value if isinstance(value, list) else [value]
    found = [m for item in items if item is not None for m in _LESSON_ID.findall(str(item).upper())]
    return list(dict.fromkeys(found))


@dataclass
class Link:
    lesson_id: str
    lesson_title: str
    model_id: str
    model_title: str
    model_version: str
    model_status: str
    #: the day the model's current run of published revisions began (None: not published)
    published_on: date | None
    #: the model's current version cites the lesson under `addresses:`
    cited: bool = False
    #: the lesson's actions targeting the model: (action id, open / closed)
    actions: list[tuple[int, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        version = f" v{self.model_version}" if self.model_version else ""
        status = self.model_status.replace("_", " ")
        when = f" {self.published_on.isoformat()}" if self.published_on else ""
        return f"{self.lesson_id} → {self.model_title}{version}, {status}{when}"


def published_on(s: Session, doc: Document) -> date | None:
    """When the model became published (the first of its latest run of published revisions)."""
    if doc.status != PUBLISHED:
        return None
    query = (
        select(DocumentRevision)
        .where(DocumentRevision.document_id == doc.id)
        .order_by(DocumentRevision.number.desc())
    )
    since = None
    for revision in s.scalars(query):
        try:
            status = frontmatter.split(revision.markdown)[0].get("status")
        except ValidationError:
            break
        if status != PUBLISHED:
            break
        since = revision.created_at
    return since.date() if since else None


def _targeting(s: Session, lesson_ids: list[str] | None, model_id: str | None) -> list[Action]:
    query = select(Action).where(Action.target_kind == "process_model")
    if lesson_ids is not None:
        query = query.where(Action.lesson_id.in_(lesson_ids))
    if model_id is not None:
        query = query.where(func.upper(Action.target_ref) == model_id)
    return list(s.scalars(query.order_by(Action.id)))


#: the process models that may cite a lesson: a coarse filter in SQL (the JSON as text
#: mentions the id), the exact test in Python (built once: every lesson page asks; plain rows:
#: making Documents of them cost twice the query)
CITING = select(Document.id, Document.extra).where(
    Document.type == "process", cast(Document.extra, Text).like(bindparam("mention"))
)


def _citing(s: Session, lesson_id: str) -> list[str]:
    """The ids of the process models citing the lesson."""
    rows = s.connection().execute(CITING, {"mention": f"%{lesson_id}%"})
    return [model_id for model_id, extra in rows if lesson_id in addressed(extra)]


def _link(s: Session, lesson: Document, model: Document, found: list[Action]) -> Link:
    return Link(
        lesson_id=lesson.id,
        lesson_title=lesson.title,
        model_id=model.id,
        model_title=model.title,
        model_version=model.model_version or "",
        model_status=model.status,
        published_on=published_on(s, model),
        cited=lesson.id in addressed(model.extra),
        actions=[
            (a.id, a.status)
            for a in found
            if a.lesson_id == lesson.id and (a.target_ref or "").upper() == model.id
        ],
    )


def links_of_model(db: Database, model: Document, viewer: Viewer) -> list[Link]:
    """The lessons the model cites or whose actions target it, those the viewer may read."""
    with db.read() as s:
        found = _targeting(s, None, model.id)
        ids = list(dict.fromkeys(addressed(model.extra) + [a.lesson_id for a in found]))
        lessons = s.scalars(
            select(Document).where(
                Document.id.in_(ids), Document.type == "lesson", access.readable(viewer)
            )
        )
        by_id = {d.id: d for d in lessons}
        return [_link(s, by_id[i], model, found) for i in ids if i in by_id]


def links_of_lesson(
    db: Database, lesson: Document, viewer: Viewer, lesson_actions: list[Action] | None = None
) -> list[Link]:
    """The models whose actions from this lesson target them or that cite it, those the
    viewer may read. `lesson_actions`: all the lesson's actions by id, when the caller has
    read them (not read again)."""
    with db.read() as s:
        if lesson_actions is None:
            found = _targeting(s, [lesson.id], None)
        else:
            found = [a for a in lesson_actions if a.target_kind == "process_model"]
        ids = [(a.target_ref or "").upper() for a in found] + _citing(s, lesson.id)
        if not ids:  # most lessons: no model to look up
            return []
        models = s.scalars(
            select(Document).where(
                Document.id.in_(list(dict.fromkeys(ids))),
                Document.type == "process",
                access.readable(viewer),
            )
        )
        by_id = {d.id: d for d in models}
        return [_link(s, lesson, by_id[i], found) for i in dict.fromkeys(ids) if i in by_id]


def close_addressed(s: Session, model_id: str, revision_number: int | None) -> list[int]:
    """A model version was published: close the open actions that target the model on the
    lessons that version cites; the ids of the actions closed (none again for the same
    version: only open actions close)."""
    model = s.get(Document, str(model_id or "").upper())
    if model is None or model.type != "process":
        return []
    query = select(DocumentRevision).where(DocumentRevision.document_id == model.id)
    if revision_number is not None:
        query = query.where(DocumentRevision.number == revision_number)
    revision = s.scalar(query.order_by(DocumentRevision.number.desc()).limit(1))
    try:
        meta = frontmatter.split(revision.markdown)[0] if revision else {}
    except ValidationError:
        return []
    if not (cited := addressed(meta)):
        return []
    version = f" v{model.model_version}" if model.model_version else ""
    note = f"Addressed by {model.id} {model.title}{version}, published."
    closed = []
    for action in _targeting(s, cited, model.id):
        if action.status != "open":
            continue
        actions.close_in(s, action, actor=KB_ACTOR, note=note)
        closed.append(action.id)
        lesson = s.get(Document, action.lesson_id)
        if lesson.status == "in_action" and not actions.open_count(s, lesson.id):
            lifecycle.apply_transition(s, lesson, "actioned", actor=KB_ACTOR, reason=note)
    return closed
