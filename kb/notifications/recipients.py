"""Who hears about which of kb's own events, and what they are told.

`recipients(s, event)` reads users and documents, changes nothing, and returns one Message
per person: a kb user (inbox, and e-mail when they have an address) or only an e-mail
address (someone kb has no account for). Nobody is told about a document they may not read:
a person without an account counts as an anonymous reader (internal documents only), and
lists of lessons in a message keep only those the person may read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb.accounts.models import User
from kb.accounts.viewer import ANONYMOUS, Viewer
from kb.documents import access, references
from kb.documents.models import Document
from kb.events.log.models import Event
from kb.events.log.services import KB_SOURCE, KB_TYPE_PREFIX

TITLE_MAX, LINK_MAX = 200, 300
#: one plain address: nothing that could add a recipient or a header to a mail
ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]\\]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}")
#: the events that notify someone (short types, after org.pmo.kb.)
TYPES = (
    "review.opened", "review.overdue", "review.completed", "lessons.recommended",
    "lesson.submitted", "lesson.published", "lesson.rejected", "lesson.reopened",
    "lesson.verified", "lesson.recurred", "lesson.action.added",
    "processmodel.custodian.changed", "lesson.verification_due", "processmodel.updated",
    "lesson.action.overdue", "processmodel.review_due",
)  # fmt: skip


@dataclass(frozen=True)
class Message:
    username: str | None  # None: only an e-mail address
    address: str | None  # None: inbox only
    kind: str
    title: str
    body: str
    link: str | None


@dataclass(frozen=True)
class Person:
    user: User | None
    address: str | None

    @property
    def viewer(self) -> Viewer:
        return Viewer.of(self.user) if self.user is not None else ANONYMOUS


#: a message's text for one person (None: nothing to tell them)
Body = Callable[[Viewer], str | None]


@dataclass
class Draft:
    people: list[Person]
    title: str | Body
    body: str | Body
    link: str | None
    #: the document the event is about: whoever may not read it is not told
    about: Document | None = None


# --- people ----------------------------------------------------------------------------------


def user_named(s: Session, username: object) -> User | None:
    if not isinstance(username, str) or not username.strip():
        return None
    user = s.scalar(select(User).where(User.username == username.strip().lower()))
    return user if user is not None and user.is_active else None


def person_by_email(s: Session, address: object) -> Person | None:
    """The kb user with this e-mail address, or the bare address when kb has none (None for
    a deactivated user's address, or for anything that is not one plain address)."""
    if not isinstance(address, str) or not ADDRESS.fullmatch(address.strip()):
        return None
    address = address.strip()
    user = s.scalar(select(User).where(func.lower(User.email) == address.lower())
                    .order_by(User.is_active.desc(), User.id).limit(1))  # fmt: skip
    if user is None:
        return Person(None, address)
    return Person(user, user.email) if user.is_active else None


def person_named_or_addressed(s: Session, who: object) -> Person | None:
    """A username, or an e-mail address (matched to a user when kb knows it)."""
    user = user_named(s, who)
    if user is not None:
        return Person(user, user.email)
    return person_by_email(s, who)


def the_pmo(s: Session) -> list[Person]:
    """The PMO: every active curator; the admins when there is no curator."""
    for role in ("curator", "admin"):
        users = list(s.scalars(select(User).where(User.role == role, User.is_active.is_(True))
                               .order_by(User.username)))  # fmt: skip
        if users:
            return [Person(u, u.email) for u in users]
    return []


# --- wording ---------------------------------------------------------------------------------


def _key(value: object) -> str:
    return str(value or "").strip()


def lesson_link(lesson_id: object) -> str:
    return f"/lessons/{quote(_key(lesson_id), safe='')}"


def review_link(project: object) -> str:
    return f"/projects/{quote(_key(project), safe='')}/review"


def project_link(project: object) -> str:
    return f"/projects/{quote(_key(project), safe='')}"


def _quoted(title: object) -> str:
    return f"“{title}”" if title else ""


def _readable_ids(s: Session, viewer: Viewer, ids: object) -> list[str]:
    """The lesson ids of a list that `viewer` may read, in their order."""
    if not isinstance(ids, list):
        return []
    out = []
    for lesson_id in ids:
        doc = s.get(Document, lesson_id) if isinstance(lesson_id, str) else None
        if doc is not None and access.can_read(viewer, doc):
            out.append(doc.id)
    return out


# --- one builder per event type ------------------------------------------------------------


def _review_opened(s: Session, d: dict) -> list[Draft]:
    key, person = _key(d.get("project")), person_by_email(s, d.get("facilitator"))
    body = (f"Project {key} has closed and its lessons review is open, due on {d.get('due_on')}. "
            "As its facilitator, gather with the team what went well and what to improve, "
            "record a lesson for each, then submit the review.")  # fmt: skip
    return [Draft([person] if person else [], f"Lessons review of {key} is open", body,
                  review_link(key))]  # fmt: skip


def _review_overdue(s: Session, d: dict) -> list[Draft]:
    key, due = _key(d.get("project")), d.get("due_on")
    if d.get("level") == 2:
        body = (f"The lessons review of project {key} was due on {due} and is still open; its "
                f"facilitator ({d.get('facilitator') or 'nobody'}) was reminded. Please follow "
                "up.")  # fmt: skip
        return [Draft(the_pmo(s), f"Lessons review of {key} is overdue (escalated)", body,
                      review_link(key))]  # fmt: skip
    person = person_by_email(s, d.get("facilitator"))
    body = f"The lessons review of project {key} was due on {due}. Please complete and submit it."
    return [Draft([person] if person else [], f"Lessons review of {key} is overdue", body,
                  review_link(key))]  # fmt: skip


def _review_completed(s: Session, d: dict) -> list[Draft]:
    key = _key(d.get("project"))

    def body(viewer: Viewer) -> str:
        text = (
            f"{d.get('completed_by') or 'Someone'} completed the lessons review of project {key}."
        )
        ids = _readable_ids(s, viewer, d.get("lessons"))
        if ids:
            text += f" Lessons submitted for curation: {', '.join(ids)}."
        return text

    return [Draft(the_pmo(s), f"Lessons review of {key} completed", body, review_link(key))]


def _lessons_recommended(s: Session, d: dict) -> list[Draft]:
    key, trigger = _key(d.get("project")), _key(d.get("trigger"))
    person = person_named_or_addressed(s, d.get("recipient"))
    when = "its start" if trigger == "started" else f"stage gate {trigger.removeprefix('gate:')}"
    lessons = [x for x in d.get("lessons") or [] if isinstance(x, dict)]

    def body(viewer: Viewer) -> str | None:
        readable = set(_readable_ids(s, viewer, [x.get("id") for x in lessons]))
        lines = [f"- {x['id']} {_quoted(x.get('title'))}: {x.get('reason') or ''}".rstrip(": ")
                 for x in lessons if x.get("id") in readable]  # fmt: skip
        if not lines:
            return None
        return (f"Lessons worth reading for project {key} at {when}:\n" + "\n".join(lines)
                + "\nOn the project page, mark each one: applies, not applicable or action "
                "taken.")  # fmt: skip

    return [Draft([person] if person else [], f"Lessons for {key} at {when}", body,
                  project_link(key))]  # fmt: skip


def _lesson_submitted(s: Session, d: dict, doc: Document) -> list[Draft]:
    project = f" of project {doc.project_key}" if doc.project_key else ""
    body = (f"{d.get('actor') or 'Someone'} submitted the lesson {doc.id} {_quoted(doc.title)}"
            f"{project}. It waits in the curator's queue.")  # fmt: skip
    return [Draft(the_pmo(s), f"{doc.id} submitted: {doc.title}", body, lesson_link(doc.id), doc)]


_TO_CREATOR = {
    "lesson.published": ("published", ""),
    "lesson.rejected": ("rejected", "Reason: {reason}. You can return it to draft and rework it."),
    "lesson.reopened": ("reopened", "Reason: {reason}."),
    "lesson.verified": ("verified", "Evidence: {reason}."),
}


def _to_creator(s: Session, kind: str, d: dict, doc: Document) -> list[Draft]:
    creator = user_named(s, doc.created_by)
    verb, more = _TO_CREATOR[kind]

    def body(viewer: Viewer) -> str:
        text = f"{d.get('actor') or 'Someone'} {verb} your lesson {doc.id} {_quoted(doc.title)}."
        if more:  # a reason naming another lesson is told only to who may read that one
            seen = references.event_view(s, None, d, viewer) or {}
            text += " " + more.format(reason=seen.get("reason") or "none given")
        return text

    return [Draft([Person(creator, creator.email)] if creator else [],
                  f"Your lesson {doc.id} was {verb}", body, lesson_link(doc.id), doc)]  # fmt: skip


def _lesson_recurred(s: Session, d: dict, doc: Document) -> list[Draft]:
    people = the_pmo(s)
    creator = user_named(s, doc.created_by)
    if creator is not None:
        people.append(Person(creator, creator.email))
    newer = s.get(Document, d.get("recurred_in")) if isinstance(d.get("recurred_in"), str) else None

    def where(viewer: Viewer) -> str:
        """The newer lesson's project only for who may read that lesson."""
        if newer is None or not access.can_read(viewer, newer):
            return references.HIDDEN
        return _key(d.get("recurred_in_project")) or "another project"

    def body(viewer: Viewer) -> str:
        text = f"The problem of lesson {doc.id} {_quoted(doc.title)} happened again in "
        text += where(viewer)
        if newer is not None and access.can_read(viewer, newer):
            text += f": {newer.id} {_quoted(newer.title)}"
        count = d.get("recurrence_count")
        return text + f". It has recurred {count} time(s); the lesson is reopened for review."

    def title(viewer: Viewer) -> str:
        return f"Lesson {doc.id} recurred in {where(viewer)}"

    return [Draft(people, title, body, lesson_link(doc.id), doc)]


def _action_added(s: Session, d: dict, doc: Document) -> list[Draft]:
    person = person_named_or_addressed(s, d.get("owner"))
    description = " ".join(str(d.get("description") or "").split())
    body = (f"{d.get('actor') or 'Someone'} gave you an action on lesson {doc.id} "
            f"{_quoted(doc.title)}: {description}. Due on {d.get('due_on') or 'no date'}. "
            "Close it on the lesson's page when it is done.")  # fmt: skip
    return [Draft([person] if person else [], f"An action for you on {doc.id}: {description}",
                  body, lesson_link(doc.id), doc)]  # fmt: skip


def _day(value: object) -> str:
    """2026-11-03 -> 3 Nov 2026 (as the pages write dates); anything else as it is."""
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return str(value or "")
    return f"{day.day} {day:%b %Y}"


def _action_overdue(s: Session, d: dict, doc: Document) -> list[Draft]:
    person = person_named_or_addressed(s, d.get("owner"))
    description = " ".join(str(d.get("description") or "").split())
    body = (f"Your action on lesson {doc.id} {_quoted(doc.title)} is overdue since "
            f"{_day(d.get('due_on'))}: {description}. Close it on the lesson's page when it is "
            "done, or ask a curator to change its due date.")  # fmt: skip
    return [Draft([person] if person else [], f"Overdue since {_day(d.get('due_on'))}: "
                  f"your action on {doc.id}", body, lesson_link(doc.id), doc)]  # fmt: skip


def _review_due(s: Session, d: dict, doc: Document) -> list[Draft]:
    """The owner when kb knows them (a username or an address), else the PMO."""
    person = person_named_or_addressed(s, d.get("owner"))
    body = (f"The process model {doc.id} {_quoted(doc.title)} was last reviewed on "
            f"{_day(d.get('last_reviewed'))} and was due for review on {_day(d.get('due_on'))} "
            f"(owner: {d.get('owner') or 'none'}). Review it and record the new "
            "`last_reviewed` date.")  # fmt: skip
    return [Draft([person] if person else the_pmo(s),
                  f"Review overdue since {_day(d.get('due_on'))}: {doc.id} {doc.title}", body,
                  f"/processes/{quote(doc.id, safe='')}", doc)]  # fmt: skip


def _custodian_changed(s: Session, d: dict, doc: Document) -> list[Draft]:
    body = (f"Project {d.get('project') or ''} closed: the process model {doc.id} "
            f"{_quoted(doc.title)} passed from {d.get('from') or 'its team'} into the PMO's "
            f"custody (owner: {d.get('owner') or 'none'}). Confirm a business-as-usual "
            "owner.")  # fmt: skip
    return [Draft(the_pmo(s), f"{doc.id} is now in the PMO's custody", body, "/tasks", doc)]


def _verification_due(s: Session, d: dict, doc: Document) -> list[Draft]:
    body = (f"Audit {d.get('audit') or ''} of project {doc.project_key or d.get('project') or ''} "
            f"is complete: check that the problem of lesson {doc.id} {_quoted(doc.title)} did "
            "not recur, and record the evidence to verify it.")  # fmt: skip
    return [Draft(the_pmo(s), f"Verify lesson {doc.id}: {doc.title}", body, lesson_link(doc.id),
                  doc)]  # fmt: skip


def _process_updated(s: Session, d: dict, doc: Document | None) -> list[Draft]:
    if "change_type" not in d:  # a plain save of a process model in kb: nobody is told
        return []
    name = _key(d.get("process_id")) or (doc.id if doc else "")
    flagged = d.get("flagged_lessons")

    def body(viewer: Viewer) -> str:
        text = (f"{d.get('changed_by') or 'Someone'} {d.get('change_type')} process {name} "
                f"{_quoted(d.get('title'))} (version {d.get('version')}, effective "
                f"{d.get('effective_from')}): {d.get('summary') or ''}").rstrip(": ")  # fmt: skip
        ids = _readable_ids(s, viewer, flagged)
        return text + (f"\nLessons to revalidate: {', '.join(ids)}." if ids else "")

    link = "/tasks" if flagged or doc is None else f"/processes/{quote(doc.id, safe='')}"
    return [Draft(the_pmo(s), f"Process {name} {d.get('change_type')} (version {d.get('version')})",
                  body, link, doc)]  # fmt: skip


_ABOUT_DOCUMENT = {
    "lesson.submitted": _lesson_submitted,
    "lesson.recurred": _lesson_recurred,
    "lesson.action.added": _action_added,
    "lesson.action.overdue": _action_overdue,
    "processmodel.review_due": _review_due,
    "processmodel.custodian.changed": _custodian_changed,
    "lesson.verification_due": _verification_due,
}
_ABOUT_NOTHING = {
    "review.opened": _review_opened,
    "review.overdue": _review_overdue,
    "review.completed": _review_completed,
    "lessons.recommended": _lessons_recommended,
}


def _drafts(s: Session, kind: str, d: dict) -> list[Draft]:
    if kind in _ABOUT_NOTHING:
        return _ABOUT_NOTHING[kind](s, d)
    doc_id = d.get("lesson") if kind.startswith("lesson.action.") else d.get("id")
    doc = s.get(Document, doc_id) if isinstance(doc_id, str) and doc_id else None
    if kind == "processmodel.updated":
        if doc_id and doc is None:
            return []
        return _process_updated(s, d, doc)
    if doc is None:  # gone, or never known: nothing can be checked, so nobody is told
        return []
    if kind in _TO_CREATOR:
        return _to_creator(s, kind, d, doc)
    return _ABOUT_DOCUMENT[kind](s, d, doc)


def short_type(event: Event) -> str | None:
    """`org.pmo.kb.lesson.published` -> `lesson.published` when it notifies someone."""
    if event.source != KB_SOURCE:
        return None
    kind = event.type.removeprefix(KB_TYPE_PREFIX + ".")
    return kind if kind in TYPES else None


def recipients(s: Session, event: Event) -> list[Message]:
    """One message per person to tell about `event` (none for other events). The person who
    caused the event is not told about it."""
    kind = short_type(event)
    if kind is None:
        return []
    d = event.data if isinstance(event.data, dict) else {}
    actors = {str(d.get(k)).lower() for k in ("actor", "completed_by") if d.get(k)}
    messages: list[Message] = []
    seen_users: set[str] = set()
    seen_addresses: set[str] = set()
    for draft in _drafts(s, kind, d):
        for person in draft.people:
            username = person.user.username if person.user is not None else None
            address = (person.address or "").strip()
            address = address if ADDRESS.fullmatch(address) else None  # a user's odd address too
            if username in seen_users or (address or "").lower() in seen_addresses:
                continue
            if (username is None and address is None) or (username or "") in actors:
                continue
            viewer = person.viewer
            if draft.about is not None and not access.can_read(viewer, draft.about):
                continue
            body = draft.body(viewer) if callable(draft.body) else draft.body
            if body is None:
                continue
            if username is not None:
                seen_users.add(username)
            if address is not None:
                seen_addresses.add(address.lower())
            link = draft.link if draft.link and len(draft.link) <= LINK_MAX else None
            title = draft.title(viewer) if callable(draft.title) else draft.title
            title = " ".join(title.split())[:TITLE_MAX]
            messages.append(Message(username, address, kind, title, body, link))
    return messages
