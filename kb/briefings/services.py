"""Building briefings (which lessons, and why) and recording the project manager's answers.

A briefing is made once per source event (unique on its seq): replaying the event changes
nothing. Lessons are chosen with the search index, as the recipient would see it, by a query
made only of plain words taken from the project (never the producer's text as a query)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb.accounts.models import User
from kb.accounts.services import audit
from kb.accounts.viewer import ANONYMOUS, Viewer
from kb.briefings.models import RESPONSES, Briefing, BriefingItem
from kb.core.errors import NotFound, ValidationError
from kb.core.time import day_of, parse_timestamp, utcnow
from kb.db import Database
from kb.documents import access
from kb.documents.models import Document
from kb.events.kinds.lessons import BriefingAnswered
from kb.events.kinds.projects import LessonsRecommended, RecommendedLesson
from kb.events.log.services import append_event
from kb.projects.models import Project
from kb.search import QueryError, SearchIndex
from kb.search.querylang import MAX_WORDS, count_words

log = logging.getLogger(__name__)

LESSON_STATUSES = ["published", "in_action", "actioned", "verified"]
TOP = 5
#: terms in the query, each joined by OR (the query language counts OR as a word: max 40)
MAX_TERMS = 20
_WORD = re.compile(r"[a-z0-9]+")
_TAG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "their",
        "this",
        "to",
        "was",
        "we",
        "will",
        "with",
        "project",
        "projects",
        "new",
        "all",
        "not",
    ]
)


def plain_words(text: str | None) -> list[str]:
    """Lower-case letters and digits only, no stop words, no repeats, in order."""
    out: list[str] = []
    for w in _WORD.findall((text or "").lower()):
        if len(w) >= 3 and w not in _STOP and w not in out:
            out.append(w)
    return out


def clean_tags(tags: object) -> list[str]:
    out: list[str] = []
    for t in tags if isinstance(tags, list) else []:
        t = str(t).strip().lower()
        if _TAG.match(t) and t not in out:
            out.append(t)
    return out


@dataclass
class Profile:
    """What a project is about, as plain words."""

    key: str
    name: str
    description_words: list[str]
    tags: list[str]
    methodology: str | None
    phase: str | None

    @property
    def words(self) -> list[str]:
        """Every word the query is made of (for the record)."""
        seen: list[str] = []
        for w in [
            *self.tags,
            *([self.methodology] if self.methodology else []),
            *([self.phase] if self.phase else []),
            *plain_words(self.name),
            *self.description_words,
        ]:
            if w not in seen:
                seen.append(w)
        return seen


def build_query(profile: Profile) -> str:
    """An OR of quoted plain words; tags and the phase also as field terms (field boosts)."""
    terms: list[str] = []
    for tag in profile.tags:
        terms.append(f'tags:"{tag}"')
        terms.extend(f'"{w}"' for w in plain_words(tag))
    if profile.methodology:
        terms.append(f'"{profile.methodology}"')
    if profile.phase:
        terms.append(f'phase:"{profile.phase}"')
    terms.extend(f'"{w}"' for w in plain_words(profile.name))
    terms.extend(f'"{w}"' for w in profile.description_words)
    query = ""
    for term in list(dict.fromkeys(terms))[:MAX_TERMS]:
        longer = f"{query} OR {term}" if query else term
        if count_words(longer) > MAX_WORDS:  # long tags and names: stop before the limit
            break
        query = longer
    return query


def _labels(doc: Document, kind: str) -> set[str]:
    return {label.value.lower() for label in doc.labels if label.kind == kind}


def reason_for(doc: Document, profile: Profile) -> str:
    """Why this lesson, in plain language."""
    parts = []
    tags = _labels(doc, "tag")
    shared = [t for t in profile.tags if t in tags]
    if shared:
        parts.append("shares tags " + ", ".join(shared))
    if profile.methodology and profile.methodology in tags | _labels(doc, "topic"):
        parts.append(f"same methodology: {profile.methodology}")
    if profile.phase and (doc.phase or "").lower() == profile.phase:
        parts.append(f"same phase: {profile.phase}")
    topics = _labels(doc, "topic")
    on_topic = [w for w in profile.words if w in topics and w not in shared]
    if on_topic:
        parts.append("on topic " + ", ".join(on_topic))
    text = set(_WORD.findall(f"{doc.title} {doc.summary}".lower()))
    matched = [w for w in profile.description_words if w in text]
    if matched:
        parts.append(f"matches '{' '.join(matched)}' in the project description")
    named = [w for w in plain_words(profile.name) if w in text and w not in matched]
    if named:
        parts.append(f"matches '{' '.join(named)}' in the project name")
    return "; ".join(parts) or "similar wording to the project"


def choose_lessons(
    index: SearchIndex | None, s: Session, profile: Profile, viewer: Viewer
) -> list[tuple[Document, str]]:
    """The most relevant lessons the viewer may read, best first, each with its reason."""
    q = build_query(profile)
    if not q or index is None:
        return []
    try:
        results = index.query(
            q,
            filters={"type": ["lesson"], "status": LESSON_STATUSES},
            reader=access.reader(viewer),
            per_page=TOP * 2,
        )
    except QueryError:  # build_query keeps within the limits: this is a bug, not an empty result
        log.exception("briefing query refused: %s", q)
        return []
    chosen: list[tuple[Document, str]] = []
    for hit in results.hits:
        doc = s.get(Document, hit.id)
        # the index may lag the database: check again what it says
        if doc is None or doc.type != "lesson" or doc.status not in LESSON_STATUSES:
            continue
        if not access.can_read(viewer, doc):
            continue
        chosen.append((doc, reason_for(doc, profile)))
        if len(chosen) == TOP:
            break
    return chosen


def recipient_of(s: Session, email: str | None) -> tuple[Viewer, str | None]:
    """The project manager as a viewer (anonymous-like when kb has no such user: internal
    lessons only) and how the briefing names them."""
    if not email:
        return ANONYMOUS, None
    user = s.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.is_active:
        return ANONYMOUS, email.strip()
    return Viewer.of(user), user.username


def profile_of(s: Session, data: dict, phase: str | None) -> Profile | None:
    info = data.get("project") if isinstance(data.get("project"), dict) else {}
    key = str(info.get("projectId") or "").strip().upper()
    if not key:
        return None
    project = s.get(Project, key)
    description = info.get("description") or (project.description if project else "")
    name = info.get("name") or (project.name if project else "")
    methodology = plain_words(data.get("methodology"))
    return Profile(
        key=key,
        name=str(name or ""),
        description_words=plain_words(description),
        tags=clean_tags(data.get("tags")),
        methodology=methodology[0] if methodology else None,
        phase=(plain_words(phase) or [None])[0],
    )


def briefed_at(data: dict, trigger_kind: str) -> datetime:
    """When the project started or the gate was decided, as the event says (`actualStart`,
    `decidedAt`): a briefing is dated by what happened, not by when kb heard of it;
    the time kb received it only when the event does not say."""
    if trigger_kind == "started":
        day = day_of(data.get("actualStart"))
        return datetime.combine(day, time(), tzinfo=UTC) if day else utcnow()
    decided = data.get("decidedAt")
    return (parse_timestamp(decided) if isinstance(decided, str) else None) or utcnow()


def brief(
    s: Session, index: SearchIndex | None, data: dict, *, trigger_kind: str, event_seq: int
) -> Briefing | None:
    """Record the briefing of one event (None when it exists or the event names no project)
    and, when it recommends any lesson, emit `lessons.recommended`."""
    if s.scalar(select(Briefing.id).where(Briefing.source_event_seq == event_seq)) is not None:
        return None
    if trigger_kind == "started":
        trigger, phase, email = "started", None, data.get("managerEmail")
    else:
        gate = data.get("gate") if isinstance(data.get("gate"), dict) else {}
        trigger, phase, email = f"gate:{gate.get('id', '')}"[:80], data.get("nextStage"), None
    profile = profile_of(s, data, phase)
    if profile is None:
        return None
    if email is None:
        project = s.get(Project, profile.key)
        email = project.manager if project else None
    viewer, recipient = recipient_of(s, email if isinstance(email, str) else None)
    chosen = choose_lessons(index, s, profile, viewer)
    briefing = Briefing(
        project_key=profile.key,
        trigger=trigger,
        created_at=briefed_at(data, trigger_kind),
        source_event_seq=event_seq,
        recipient=recipient,
        words=profile.words,
        phase=profile.phase,
    )
    s.add(briefing)
    s.flush()
    for rank, (doc, reason) in enumerate(chosen, start=1):
        s.add(BriefingItem(briefing_id=briefing.id, lesson_id=doc.id, rank=rank, reason=reason))
    s.flush()
    if not chosen:  # recorded, but nothing to tell subscribers
        return briefing
    lessons = [RecommendedLesson(id=d.id, title=d.title, reason=r) for d, r in chosen]
    append_event(
        s,
        LessonsRecommended(
            briefing=briefing.id,
            project=profile.key,
            trigger=trigger,
            recipient=recipient,
            lessons=lessons,
        ),
    )
    return briefing


# --- reading and answering ---------------------------------------------------------------


def list_briefings(db: Database, project_key: str) -> list[Briefing]:
    with db.read() as s:
        return list(
            s.scalars(
                select(Briefing)
                .where(Briefing.project_key == project_key.upper())
                .order_by(Briefing.id)
            )
        )


def get_briefing(db: Database, briefing_id: int) -> Briefing | None:
    with db.read() as s:
        return s.get(Briefing, briefing_id)


def readable_lessons(db: Database, ids: list[str], viewer: Viewer) -> dict[str, Document]:
    if not ids:
        return {}
    with db.read() as s:
        docs = s.scalars(select(Document).where(Document.id.in_(ids), access.readable(viewer)))
        return {d.id: d for d in docs}


def respond(
    db: Database, briefing_id: int, lesson_id: object, response: object, viewer: Viewer
) -> BriefingItem:
    """Record the answer of a contributor (or the briefing's recipient) about one lesson."""
    if response not in RESPONSES:
        raise ValidationError(
            "response must be one of " + ", ".join(RESPONSES) + ".", field="response"
        )
    if not isinstance(lesson_id, str) or not lesson_id:
        raise ValidationError("lesson must be the id of a lesson in the briefing.", field="lesson")
    with db.write() as s:
        briefing = s.get(Briefing, briefing_id)
        if briefing is None:
            raise NotFound(f"No briefing {briefing_id}.")
        item = s.get(BriefingItem, (briefing_id, lesson_id))
        doc = s.get(Document, lesson_id) if item is not None else None
        if item is None or doc is None or not access.can_read(viewer, doc):
            raise NotFound(f"Briefing {briefing_id} has no lesson {lesson_id}.")
        before = item.response
        item.response = response
        item.responded_by = viewer.actor
        item.responded_at = utcnow()
        if before != response:
            audit(
                s,
                viewer.actor,
                "briefing.answered",
                f"briefings/{briefing_id}",
                lesson=lesson_id,
                response=response,
                before=before,
            )
            append_event(
                s,
                BriefingAnswered(
                    id=lesson_id,
                    briefing=briefing_id,
                    project=briefing.project_key,
                    response=response,
                    actor=viewer.actor,
                ),
            )
        s.flush()
        s.expunge(item)
        return item


def may_respond(viewer: Viewer, briefing: Briefing) -> bool:
    if viewer.is_anonymous or viewer.read_only:
        return False
    return viewer.has_role("contributor") or (
        briefing.recipient is not None and viewer.username == briefing.recipient
    )
