"""The drafts of an open review: completing, editing and withdrawing them on the review page.

Whoever drafted a lesson of the review — a participant in the workshop, or kb from an audit
finding — the review's facilitator and participants (users whose e-mail the review names)
may complete its sections, change its title and withdraw it while it is a draft, as may its
creator and curators (kb.documents.access.can_change_draft). Nobody else gains a right, and a
restricted draft stays hidden from whoever may not read it (404, as everywhere).

Withdrawing moves the draft to `rejected` with the reason "Withdrawn from the review of P by
<who> (<role>)[: their words]" — a revision, a `lesson.rejected` event and an audit entry,
like every lifecycle step. Its link to the review stays (it is the audit's ledger: a finding
delivered again is not drafted again); submitting the review skips it. A curator can bring a
withdrawn lesson back (rejected → reopened).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.accounts.viewer import Viewer
from kb.core.errors import Conflict, Forbidden, NotFound, ValidationError
from kb.core.time import utcnow
from kb.db import Database
from kb.documents import access, lifecycle
from kb.documents import services as documents
from kb.documents.frontmatter_edit import replace_key
from kb.documents.models import Document
from kb.markdown import frontmatter
from kb.reviews.models import Review, ReviewLesson
from kb.reviews.services import current_review
from kb.reviews.workshop import COMPLETE_NEEDS, HEADINGS, SECTIONS, check_draft, email_of, same

#: the sections the review page's form edits: the ones a draft needs before submitting
EDITED = COMPLETE_NEEDS
REASON_MAX = 500
_HEADING = re.compile(r"^## +(.+?)[ \t]*$", re.MULTILINE)
_ORDER = {heading.lower(): n for n, (_, heading) in enumerate(SECTIONS)}


def role_in(review: Review, email: str | None) -> str | None:
    """'facilitator', 'participant' or None: how the review names this e-mail address."""
    if same(review.facilitator, email):
        return "facilitator"
    return "participant" if any(same(p, email) for p in review.participants or []) else None


def may_change(viewer: Viewer, review: Review, email: str | None, doc: Document) -> bool:
    return access.can_change_draft(viewer, doc, named=role_in(review, email) is not None)


def changeable(db: Database, viewer: Viewer, review: Review, docs: list[Document]) -> set[str]:
    """The ids of `docs` (the review's lessons) this viewer may complete and withdraw now."""
    if review.status != "open":
        return set()
    with db.read() as s:
        email = email_of(s, viewer)
    return {d.id for d in docs if d.status == "draft" and may_change(viewer, review, email, d)}


def review_to_complete(db: Database, viewer: Viewer, doc: Document) -> str | None:
    """The project key of the open review holding draft `doc` when this viewer may complete it
    there (the lesson's page points to it), else None."""
    if doc.type != "lesson" or doc.status != "draft" or viewer.is_anonymous:
        return None
    with db.read() as s:
        review = s.scalar(
            select(Review)
            .join(ReviewLesson, ReviewLesson.review_id == Review.id)
            .where(ReviewLesson.lesson_id == doc.id, Review.status == "open")
        )
        email = email_of(s, viewer)
    if review is None or not may_change(viewer, review, email, doc):
        return None
    return review.project_key


def sections_of(markdown: str) -> dict[str, str]:
    """The text of each known section of a lesson, by field name."""
    _, body = frontmatter.split(markdown)
    parts = _HEADING.split(body)
    by_heading = {
        h.strip().lower(): t.strip() for h, t in zip(parts[1::2], parts[2::2], strict=False)
    }
    return {name: by_heading[h.lower()] for name, h in SECTIONS if h.lower() in by_heading}


def with_sections(markdown: str, title: str, sections: dict[str, str]) -> str:
    """`markdown` with its title and the EDITED sections replaced (an empty one removed, a new
    one put in the order of docs/format.md); the front matter's other lines and every other
    section are kept byte for byte."""
    source = markdown.removeprefix("\ufeff")
    _, body = frontmatter.split(source)
    head = source[: len(source) - len(body)]
    parts = _HEADING.split(body)
    blocks = [[h, raw] for h, raw in zip(parts[1::2], parts[2::2], strict=False)]
    for name in EDITED:
        heading, text = HEADINGS[name], sections.get(name, "").strip()
        found = next((b for b in blocks if b[0].strip().lower() == heading.lower()), None)
        if found is not None and not text:
            blocks.remove(found)
        elif found is not None:
            found[1] = f"\n\n{text}\n\n"
        elif text:
            later = [
                i
                for i, b in enumerate(blocks)
                if _ORDER.get(b[0].strip().lower(), -1) > _ORDER[heading.lower()]
            ]
            blocks.insert(later[0] if later else len(blocks), [heading, f"\n\n{text}\n\n"])
    preamble = parts[0]
    if blocks and preamble.strip():
        preamble = preamble.rstrip("\n") + "\n\n"
    out = head + preamble + "".join(f"## {h}{_paragraph(raw)}" for h, raw in blocks)
    out = out.rstrip("\n") + "\n"
    if title != frontmatter.split(out)[0].get("title"):
        out = replace_key(out, "title", title)
    return out


def _paragraph(raw: str) -> str:
    """A section's text ending in one blank line, so the next heading starts a block."""
    return raw if raw.endswith("\n\n") else raw.rstrip("\n") + "\n\n"


@dataclass
class Held:
    review: Review
    doc: Document
    role: str
    link: ReviewLesson


def _hold(
    s: Session,
    project_key: str,
    doc_id: str,
    viewer: Viewer,
    *,
    base_version: int | None,
    lock: bool,
) -> Held:
    """The review's draft `doc_id` (locked with `lock`), checked: readable (404 otherwise),
    linked to the open review, still a draft, the version seen, and the viewer's right."""
    review = current_review(s, project_key, lock=lock)
    if review is None:
        raise NotFound(f"Project {project_key.strip().upper()} has no lessons review.")
    doc_id = doc_id.strip().upper()
    doc = s.get(Document, doc_id, with_for_update=True) if lock else s.get(Document, doc_id)
    linked = doc is not None and s.scalar(
        select(ReviewLesson).where(
            ReviewLesson.review_id == review.id, ReviewLesson.lesson_id == doc.id
        )
    )
    if not linked or not access.can_read(viewer, doc):
        raise NotFound(f"The review of {review.project_key} has no lesson {doc_id}.")
    if review.status != "open":
        raise Conflict(
            f"The review of {review.project_key} is completed; its lessons are with the curators."
        )
    if doc.status != "draft":
        raise Conflict(
            f"{doc.id} is {doc.status.replace('_', ' ')} now, no longer a draft of this review."
        )
    email = email_of(s, viewer)
    if not may_change(viewer, review, email, doc):
        raise Forbidden(
            "Only the review's facilitator and participants, the lesson's author "
            "and curators change the review's drafts."
        )
    if base_version is not None and base_version != doc.version:
        raise Conflict(
            f"{doc.id} changed meanwhile (now version {doc.version}; you saw version "
            f"{base_version}). Reload the review and apply your change again.",
            field="version",
            details={"current_version": doc.version},
        )
    role = role_in(review, email) or ("curator" if viewer.has_role("curator") else "author")
    return Held(review, doc, role, linked)


def edit_draft(
    db: Database,
    project_key: str,
    doc_id: str,
    *,
    title: object,
    sections: object,
    base_version: int,
    viewer: Viewer,
) -> Document:
    """Write the draft's title and its what happened / lesson / recommendation (a new revision,
    `lesson.updated`, an audit entry). 400 naming each bad field; 409 when it changed."""
    with db.read() as s:
        held = _hold(s, project_key, doc_id, viewer, base_version=base_version, lock=False)
        impact = s.scalar(
            select(ReviewLesson.impact).where(
                ReviewLesson.review_id == held.review.id, ReviewLesson.lesson_id == held.doc.id
            )
        )
        markdown = held.doc.current_revision.markdown
    if isinstance(sections, dict) and set(sections) - set(EDITED):
        unknown = ", ".join(sorted(map(str, set(sections) - set(EDITED))))
        raise ValidationError(
            f"Only {', '.join(EDITED)} are edited here, not {unknown}.", field="sections"
        )
    draft = check_draft(impact, title, sections, None)
    if draft.problems:
        raise ValidationError(
            " ".join(draft.problems.values()),
            field=next(iter(draft.problems)),
            details={"fields": dict(draft.problems)},
        )
    prepared = documents.prepare(
        with_sections(markdown, draft.title, draft.sections), type_hint="lesson"
    )
    with db.write() as s:
        held = _hold(s, project_key, doc_id, viewer, base_version=base_version, lock=True)
        documents.revise_prepared(
            s,
            held.doc,
            prepared,
            actor=viewer.actor,
            message=f"Completed in the review of {held.review.project_key}",
        )
        done = held.doc.id
    return documents.get_document(db, done)


def withdraw_draft(
    db: Database,
    project_key: str,
    doc_id: str,
    *,
    reason: object = None,
    base_version: int | None = None,
    viewer: Viewer,
) -> Document:
    """Take the draft out of the review: it becomes `rejected`, with who withdrew it and why."""
    words = " ".join(str(reason or "").split()) if isinstance(reason, str | None) else None
    if words is None:
        raise ValidationError("The reason must be text.", field="reason")
    if len(words) > REASON_MAX:
        raise ValidationError(f"Keep the reason under {REASON_MAX} characters.", field="reason")
    with db.write() as s:
        held = _hold(s, project_key, doc_id, viewer, base_version=base_version, lock=True)
        why = f"Withdrawn from the review of {held.review.project_key} by {viewer.actor} "
        why += f"({held.role})" + (f": {words}" if words else "")
        lifecycle.apply_transition(s, held.doc, "rejected", actor=viewer.actor, reason=why)
        # recorded on the link: how the review tells a withdrawn draft from a lesson a
        # curator rejected after the submission
        held.link.withdrawn_at, held.link.withdrawn_by = utcnow(), viewer.actor
        done = held.doc.id
    return documents.get_document(db, done)
