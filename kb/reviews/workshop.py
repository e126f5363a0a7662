"""The closure review as a guided workshop: record what went well and what to improve as
draft lessons of the review, see the progress, submit them all and complete the review.

Who may: the facilitator (the user whose e-mail is the review's facilitator), participants
(by e-mail), contributors and curators record lessons; the facilitator or a curator submits.
The facilitator and participants also complete, edit and withdraw every draft of the review,
whoever drafted it (kb.reviews.drafts), so an audit's drafts never block the submission.
Drafts are written through the documents service (revision, audit entry, event) together
with their link to the review, in one transaction; submitting moves every draft of the
review to `submitted` and completes the review, in one transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kb.accounts.models import User
from kb.accounts.services import audit
from kb.accounts.viewer import Viewer
from kb.core.errors import Conflict, Forbidden, NotFound, ValidationError
from kb.core.text import is_blank
from kb.core.time import utcnow
from kb.db import Database
from kb.documents import access, lifecycle
from kb.documents import services as documents
from kb.documents.models import Document, DocumentRevision
from kb.documents.vocabulary import TOPICS
from kb.markdown import frontmatter
from kb.reviews.models import IMPACTS, Review, ReviewLesson
from kb.reviews.services import complete_in, current_review

#: impact -> the lesson's polarity
POLARITY = {"went_well": "success", "to_improve": "problem"}
IMPACT_LABELS = {"went_well": "What went well", "to_improve": "What to improve"}
#: the lesson sections of docs/format.md, in order: (field, heading)
SECTIONS = (
    ("summary", "Summary"),
    ("what_happened", "What happened"),
    ("impact", "Impact"),
    ("root_cause", "Root cause"),
    ("lesson", "Lesson"),
    ("recommendation", "Recommendation"),
    ("evidence", "Evidence"),
)
HEADINGS = dict(SECTIONS)
#: a lesson is complete when these sections say something
COMPLETE_NEEDS = ("what_happened", "lesson", "recommendation")
TITLE_MAX, SECTION_MAX = 200, 20_000
_HEADING = re.compile(r"^## +(.+?)\s*$", re.MULTILINE)


@dataclass
class Draft:
    """What the form or the API sends, checked: `problems` maps a field to what is wrong."""

    impact: str = ""
    title: str = ""
    sections: dict[str, str] = field(default_factory=dict)
    topics: list[str] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)


def check_draft(impact: object, title: object, sections: object, topics: object) -> Draft:
    draft = Draft()
    if impact not in IMPACTS:
        draft.problems["impact"] = "Choose what went well or what to improve."
    else:
        draft.impact = str(impact)
    draft.title = " ".join(str(title or "").split()) if isinstance(title, str) else ""
    if is_blank(draft.title):
        draft.problems["title"] = "Give the lesson a title."
    elif len(draft.title) > TITLE_MAX:
        draft.problems["title"] = f"Keep the title under {TITLE_MAX} characters."
    if sections is None:
        sections = {}
    if not isinstance(sections, dict):
        draft.problems["sections"] = "sections must be an object of section texts."
        sections = {}
    unknown = sorted(set(sections) - set(HEADINGS))
    if unknown:
        draft.problems["sections"] = "Unknown sections: " + ", ".join(map(str, unknown)) + "."
    for name in HEADINGS:
        value = sections.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            draft.problems[name] = f"{HEADINGS[name]} must be text."
            continue
        text = value.replace("\r\n", "\n").strip()
        if len(text) > SECTION_MAX:
            draft.problems[name] = f"Keep {HEADINGS[name]} under {SECTION_MAX:,} characters."
        elif _HEADING.search(text):
            draft.problems[name] = f"{HEADINGS[name]} cannot contain its own '## ' headings."
        elif text:
            draft.sections[name] = text
    if "what_happened" not in draft.sections and "what_happened" not in draft.problems:
        draft.problems["what_happened"] = "Say what happened: the event that drives the lesson."
    if topics is None:
        topics = []
    if isinstance(topics, str):
        topics = [topics]
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        draft.problems["topics"] = "topics must be a list of topics."
    else:
        chosen = [t.strip().lower() for t in topics if t.strip()]
        wrong = [t for t in chosen if t not in TOPICS]
        if wrong:
            draft.problems["topics"] = (
                f"Not a topic: {', '.join(wrong)}. Choose from: {', '.join(TOPICS)}."
            )
        draft.topics = list(dict.fromkeys(t for t in chosen if t in TOPICS))
    return draft


def lesson_source(draft: Draft, *, project: str, author: str) -> str:
    """The draft lesson's Markdown: front matter prefilled from the review, the sections."""
    meta = {
        "title": draft.title,
        "status": "draft",
        "polarity": POLARITY[draft.impact],
        "project": project,
        "phase": "closure",
    }
    if draft.topics:
        meta["topics"] = draft.topics
    meta["occurred_on"] = utcnow().date()
    meta["author"] = author
    body = "".join(
        f"## {heading}\n\n{draft.sections[name]}\n\n"
        for name, heading in SECTIONS
        if name in draft.sections
    )
    return frontmatter.join(meta, body)


# --- who may -------------------------------------------------------------------------------


def email_of(s: Session, viewer: Viewer) -> str | None:
    if viewer.username is None:
        return None
    return s.scalar(select(User.email).where(User.username == viewer.username))


def same(a: str | None, b: str | None) -> bool:
    return bool(a and b) and a.strip().lower() == b.strip().lower()


def is_facilitator(review: Review, email: str | None) -> bool:
    return same(review.facilitator, email)


def may_record(viewer: Viewer, review: Review, email: str | None) -> bool:
    if viewer.is_anonymous or viewer.read_only:
        return False
    if viewer.has_role("contributor") or is_facilitator(review, email):
        return True
    return any(same(p, email) for p in review.participants or [])


def may_submit(viewer: Viewer, review: Review, email: str | None) -> bool:
    if viewer.is_anonymous or viewer.read_only:
        return False
    return viewer.has_role("curator") or is_facilitator(review, email)


@dataclass
class Rights:
    record: bool
    submit: bool
    facilitator: bool


def rights(db: Database, viewer: Viewer, review: Review) -> Rights:
    with db.read() as s:
        email = email_of(s, viewer)
    return Rights(
        may_record(viewer, review, email),
        may_submit(viewer, review, email),
        is_facilitator(review, email),
    )


# --- reading -------------------------------------------------------------------------------


@dataclass
class Entry:
    link: ReviewLesson
    doc: Document
    missing: list[str]
    markdown: str = ""
    #: taken out of the review (kb.reviews.drafts): it needs nothing more
    withdrawn: bool = False

    @property
    def complete(self) -> bool:
        return not self.missing


def missing_sections(markdown: str) -> list[str]:
    """The headings of COMPLETE_NEEDS that the lesson lacks or leaves empty."""
    _, body = frontmatter.split(markdown)
    found: dict[str, str] = {}
    parts = _HEADING.split(body)
    for heading, text in zip(parts[1::2], parts[2::2], strict=False):
        found[heading.strip().lower()] = text.strip()
    return [HEADINGS[n] for n in COMPLETE_NEEDS if not found.get(HEADINGS[n].lower())]


def entries(db: Database, review: Review, viewer: Viewer) -> list[Entry]:
    """The review's lessons the viewer may read, in the order they were recorded."""
    query = (
        select(ReviewLesson, Document, DocumentRevision.markdown)
        .join(Document, Document.id == ReviewLesson.lesson_id)
        .join(Document.current_revision)
        .where(ReviewLesson.review_id == review.id, access.readable(viewer))
        .order_by(ReviewLesson.id)
    )
    with db.read() as s:
        rows = s.execute(query).all()
    # withdrawn: rejected by the review's own step (and not reopened since), not by a curator
    return [
        Entry(
            link,
            doc,
            missing_sections(md),
            md,
            doc.status == "rejected" and link.withdrawn_at is not None,
        )
        for link, doc, md in rows
    ]


@dataclass
class Progress:
    total: int
    complete: int
    incomplete: int
    submitted: int
    drafts: int
    by_impact: dict[str, int]
    needs: list[str]
    withdrawn: int = 0

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "complete": self.complete,
            "incomplete": self.incomplete,
            "submitted": self.submitted,
            "drafts": self.drafts,
            "by_impact": dict(self.by_impact),
            "withdrawn": self.withdrawn,
            "summary": self.summary(),
        }

    def summary(self) -> str:
        """'3 lessons: 2 complete, 1 needs a recommendation; 0 submitted'."""
        if not self.total:
            return "No lessons recorded yet; 0 submitted"
        noun = "lesson" if self.total == 1 else "lessons"
        parts = [f"{self.complete} complete"] + self.needs
        gone = f", {self.withdrawn} withdrawn" if self.withdrawn else ""
        return f"{self.total} {noun}: {', '.join(parts)}; {self.submitted} submitted{gone}"


def progress(every: list[Entry]) -> Progress:
    """Counts of the review's lessons; a withdrawn one counts as neither complete nor not."""
    items = [i for i in every if not i.withdrawn]
    needs: dict[str, int] = {}
    for item in items:
        for heading in item.missing:
            needs[heading] = needs.get(heading, 0) + 1
    words = [
        f"{n} need{'s' if n == 1 else ''} {'an' if h[0] in 'AEIOU' else 'a'} {h.lower()}"
        for h, n in needs.items()
    ]
    drafts = sum(1 for i in items if i.doc.status == "draft")
    return Progress(
        total=len(every),
        complete=sum(1 for i in items if i.complete),
        incomplete=sum(1 for i in items if not i.complete),
        submitted=len(items) - drafts,
        drafts=drafts,
        by_impact={k: sum(1 for i in items if i.link.impact == k) for k in IMPACTS},
        needs=words,
        withdrawn=len(every) - len(items),
    )


# --- recording and submitting ---------------------------------------------------------------


def _open_review(s: Session, project_key: str, *, lock: bool) -> Review:
    review = current_review(s, project_key, lock=lock)
    if review is None:
        raise NotFound(f"Project {project_key.strip().upper()} has no lessons review.")
    return review


def record_lesson(db: Database, project_key: str, draft: Draft, *, viewer: Viewer) -> Document:
    """Write the draft lesson and its link to the review in one transaction."""
    with db.read() as s:
        review = _open_review(s, project_key, lock=False)
        email = email_of(s, viewer)
    if not may_record(viewer, review, email):
        raise Forbidden(
            "Only the facilitator, participants, contributors and curators record "
            "lessons in this review."
        )
    if draft.problems:
        first = next(iter(draft.problems))
        raise ValidationError(
            " ".join(draft.problems.values()), field=first, details={"fields": dict(draft.problems)}
        )
    author = viewer.display_name or viewer.actor
    prepared = documents.prepare(
        lesson_source(draft, project=review.project_key, author=author), type_hint="lesson"
    )
    with db.write() as s:
        locked = s.get(Review, review.id, with_for_update=True)
        if locked.status != "open":
            raise Conflict(
                f"The review of {locked.project_key} is completed; it takes no more lessons."
            )
        doc = documents.insert_prepared(
            s,
            prepared,
            actor=viewer.actor,
            message=f"Recorded in the review of {locked.project_key}",
        )
        doc.created_by = viewer.username
        s.add(
            ReviewLesson(
                review_id=locked.id,
                lesson_id=doc.id,
                impact=draft.impact,
                source="workshop",
                created_at=utcnow(),
            )
        )
        doc_id = doc.id
    return documents.get_document(db, doc_id)


def submit_review(db: Database, project_key: str, *, viewer: Viewer) -> tuple[Review, list[str]]:
    """Submit every draft lesson of the review and complete it, in one transaction. Refused
    while a draft lacks what happened, the lesson or the recommendation, or with no lessons."""
    with db.write() as s:
        review = _open_review(s, project_key, lock=True)
        if not may_submit(viewer, review, email_of(s, viewer)):
            raise Forbidden("Only the review's facilitator or a curator submits the review.")
        if review.status != "open":
            raise Conflict(f"The review of {review.project_key} is completed already.")
        rows = s.execute(
            select(ReviewLesson, Document)
            .join(Document, Document.id == ReviewLesson.lesson_id)
            .where(ReviewLesson.review_id == review.id)
            .order_by(ReviewLesson.id)
            .options(selectinload(Document.current_revision))
            .with_for_update()
        ).all()
        if not rows:
            raise ValidationError("Record at least one lesson before submitting the review.")
        drafts = [doc for _, doc in rows if doc.status == "draft"]
        incomplete = []
        for doc in drafts:
            missing = missing_sections(doc.current_revision.markdown)
            if missing:
                incomplete.append(f"{doc.id} ({', '.join(m.lower() for m in missing)})")
        if incomplete:
            raise ValidationError(
                "Complete these lessons before submitting: " + "; ".join(incomplete) + ".",
                details={"incomplete": incomplete},
            )
        for doc in drafts:
            lifecycle.apply_transition(
                s,
                doc,
                "submitted",
                actor=viewer.actor,
                reason=f"Review of {review.project_key} submitted",
            )
        submitted = [doc.id for doc in drafts]
        complete_in(s, review, actor=viewer.actor, lessons=submitted)
        audit(s, viewer.actor, "review.completed", f"reviews/{review.id}", lessons=submitted)
        review_id = review.id
    with db.read() as s:
        return s.get(Review, review_id), submitted
