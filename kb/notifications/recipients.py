"""Who hears about which of kb's own events, and what they are told.

`recipients(s, event)` reads users and documents, changes nothing, and returns one Message
per person: a kb user (inbox, and e-mail when they have an address) or only an e-mail
address (someone kb has no account for). Nobody is told about a document they may not read:
a person without an account counts as an anonymous reader (internal documents only), and
lists of lessons in a message keep only those the person may read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from pydantic import ValidationError
from sqlalchemy.orm import Session

from kb.accounts.viewer import Viewer
from kb.documents import access, references
from kb.documents.models import Document
from kb.events import kinds
from kb.events.kinds import (
    KB_SOURCE,
    KB_TYPE_PREFIX,
    KbEvent,
    documents,
    lessons,
    processes,
    projects,
)
from kb.events.log.models import Event
from kb.notifications.people import (
    ADDRESS,
    Person,
    person_by_email,
    person_named_or_addressed,
    the_pmo,  # fmt: skip
    user_named,
)

log = logging.getLogger(__name__)

TITLE_MAX, LINK_MAX = 200, 300


@dataclass(frozen=True)
class Message:
    username: str | None  # None: only an e-mail address
    address: str | None  # None: inbox only
    kind: str
    title: str
    body: str
    link: str | None


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


def _review_opened(s: Session, e: projects.ReviewOpened) -> list[Draft]:
    person = person_by_email(s, e.facilitator)
    body = (f"Project {e.project} has closed and its lessons review is open, due on {e.due_on}. "
            "As its facilitator, gather with the team what went well and what to improve, "
            "record a lesson for each, then submit the review.")  # fmt: skip
    return [Draft([person] if person else [], f"Lessons review of {e.project} is open", body,
                  review_link(e.project))]  # fmt: skip


def _review_overdue(s: Session, e: projects.ReviewOverdue) -> list[Draft]:
    key, due = e.project, e.due_on
    if e.level == 2:
        body = (f"The lessons review of project {key} was due on {due} and is still open; its "
                f"facilitator ({e.facilitator or 'nobody'}) was reminded. Please follow "
                "up.")  # fmt: skip
        return [Draft(the_pmo(s), f"Lessons review of {key} is overdue (escalated)", body,
                      review_link(key))]  # fmt: skip
    person = person_by_email(s, e.facilitator)
    body = f"The lessons review of project {key} was due on {due}. Please complete and submit it."
    return [Draft([person] if person else [], f"Lessons review of {key} is overdue", body,
                  review_link(key))]  # fmt: skip


def _review_completed(s: Session, e: projects.ReviewCompleted) -> list[Draft]:
    def body(viewer: Viewer) -> str:
        text = f"{e.completed_by or 'Someone'} completed the lessons review of project {e.project}."
        ids = _readable_ids(s, viewer, e.lessons)
        if ids:
            text += f" Lessons submitted for curation: {', '.join(ids)}."
        return text

    return [Draft(the_pmo(s), f"Lessons review of {e.project} completed", body,
                  review_link(e.project))]  # fmt: skip


def _lessons_recommended(s: Session, e: projects.LessonsRecommended) -> list[Draft]:
    key, trigger = e.project, e.trigger
    person = person_named_or_addressed(s, e.recipient)
    when = "its start" if trigger == "started" else f"stage gate {trigger.removeprefix('gate:')}"

    def body(viewer: Viewer) -> str | None:
        readable = set(_readable_ids(s, viewer, [x.id for x in e.lessons]))
        lines = [f"- {x.id} {_quoted(x.title)}: {x.reason}".rstrip(": ")
                 for x in e.lessons if x.id in readable]  # fmt: skip
        if not lines:
            return None
        return (f"Lessons worth reading for project {key} at {when}:\n" + "\n".join(lines)
                + "\nOn the project page, mark each one: applies, not applicable or action "
                "taken.")  # fmt: skip

    return [Draft([person] if person else [], f"Lessons for {key} at {when}", body,
                  project_link(key))]  # fmt: skip


def _lesson_submitted(s: Session, e: documents.LessonSubmitted, doc: Document) -> list[Draft]:
    project = f" of project {doc.project_key}" if doc.project_key else ""
    body = (f"{e.actor or 'Someone'} submitted the lesson {doc.id} {_quoted(doc.title)}"
            f"{project}. It waits in the curator's queue.")  # fmt: skip
    return [Draft(the_pmo(s), f"{doc.id} submitted: {doc.title}", body, lesson_link(doc.id), doc)]


_TO_CREATOR = {
    documents.LessonPublished: ("published", ""),
    documents.LessonRejected: (
        "rejected", "Reason: {reason}. You can return it to draft and rework it."),  # fmt: skip
    documents.LessonReopened: ("reopened", "Reason: {reason}."),
    documents.LessonVerified: ("verified", "Evidence: {reason}."),
}


def _to_creator(s: Session, e: documents.LessonTransitioned, doc: Document) -> list[Draft]:
    creator = user_named(s, doc.created_by)
    verb, more = _TO_CREATOR[type(e)]

    def body(viewer: Viewer) -> str:
        text = f"{e.actor or 'Someone'} {verb} your lesson {doc.id} {_quoted(doc.title)}."
        if more:  # a reason naming another lesson is told only to who may read that one
            seen = type(e).from_data(references.event_view(s, None, e.data(), viewer))
            text += " " + more.format(reason=seen.reason or "none given")
        return text

    return [Draft([Person(creator, creator.email)] if creator else [],
                  f"Your lesson {doc.id} was {verb}", body, lesson_link(doc.id), doc)]  # fmt: skip


def _lesson_recurred(s: Session, e: lessons.LessonRecurred, doc: Document) -> list[Draft]:
    people = the_pmo(s)
    creator = user_named(s, doc.created_by)
    if creator is not None:
        people.append(Person(creator, creator.email))
    newer = s.get(Document, e.recurred_in)

    def where(viewer: Viewer) -> str:
        """The newer lesson's project only for who may read that lesson."""
        if newer is None or not access.can_read(viewer, newer):
            return references.HIDDEN
        return e.recurred_in_project or "another project"

    def body(viewer: Viewer) -> str:
        text = f"The problem of lesson {doc.id} {_quoted(doc.title)} happened again in "
        text += where(viewer)
        if newer is not None and access.can_read(viewer, newer):
            text += f": {newer.id} {_quoted(newer.title)}"
        return (text + f". It has recurred {e.recurrence_count} time(s); the lesson is reopened "
                "for review.")  # fmt: skip

    def title(viewer: Viewer) -> str:
        return f"Lesson {doc.id} recurred in {where(viewer)}"

    return [Draft(people, title, body, lesson_link(doc.id), doc)]


def _action_added(s: Session, e: lessons.LessonActionAdded, doc: Document) -> list[Draft]:
    person = person_named_or_addressed(s, e.owner)
    description = " ".join(e.description.split())
    body = (f"{e.actor or 'Someone'} gave you an action on lesson {doc.id} "
            f"{_quoted(doc.title)}: {description}. Due on {e.due_on or 'no date'}. "
            "Close it on the lesson's page when it is done.")  # fmt: skip
    return [Draft([person] if person else [], f"An action for you on {doc.id}: {description}",
                  body, lesson_link(doc.id), doc)]  # fmt: skip


def _custodian_changed(s: Session, e: processes.ProcessModelCustodianChanged,
                       doc: Document) -> list[Draft]:  # fmt: skip
    body = (f"Project {e.project} closed: the process model {doc.id} "
            f"{_quoted(doc.title)} passed from {e.from_ or 'its team'} into the PMO's "
            f"custody (owner: {e.owner or 'none'}). Confirm a business-as-usual "
            "owner.")  # fmt: skip
    return [Draft(the_pmo(s), f"{doc.id} is now in the PMO's custody", body, "/tasks", doc)]


def _verification_due(s: Session, e: lessons.LessonVerificationDue, doc: Document) -> list[Draft]:
    body = (f"Audit {e.audit} of project {doc.project_key or e.project} "
            f"is complete: check that the problem of lesson {doc.id} {_quoted(doc.title)} did "
            "not recur, and record the evidence to verify it.")  # fmt: skip
    return [Draft(the_pmo(s), f"Verify lesson {doc.id}: {doc.title}", body, lesson_link(doc.id),
                  doc)]  # fmt: skip


def _process_changed(s: Session, e: processes.ProcessModelChanged,
                     doc: Document | None) -> list[Draft]:  # fmt: skip
    name = e.process_id or (doc.id if doc else "")
    what = f"{e.change_type} process {name} {_quoted(e.title)} (version {e.version}, effective "

    def body(viewer: Viewer) -> str:
        text = (f"{e.changed_by or 'Someone'} {what}{e.effective_from}): "
                f"{e.summary}").rstrip(": ")  # fmt: skip
        ids = _readable_ids(s, viewer, e.flagged_lessons)
        return text + (f"\nLessons to revalidate: {', '.join(ids)}." if ids else "")

    link = "/tasks" if e.flagged_lessons or doc is None else f"/processes/{quote(doc.id, safe='')}"
    return [Draft(the_pmo(s), f"Process {name} {e.change_type} (version {e.version})", body,
                  link, doc)]  # fmt: skip


#: the events that tell someone, each with who and what (a builder of an event about a
#: document gets the document; one that is gone, or was never known, tells nobody)
_ABOUT_NOTHING: dict[type[KbEvent], Callable] = {
    projects.ReviewOpened: _review_opened,
    projects.ReviewOverdue: _review_overdue,
    projects.ReviewCompleted: _review_completed,
    projects.LessonsRecommended: _lessons_recommended,
}
_ABOUT_DOCUMENT: dict[type[KbEvent], Callable] = {
    documents.LessonSubmitted: _lesson_submitted,
    **dict.fromkeys(_TO_CREATOR, _to_creator),
    lessons.LessonRecurred: _lesson_recurred,
    lessons.LessonActionAdded: _action_added,
    processes.ProcessModelCustodianChanged: _custodian_changed,
    lessons.LessonVerificationDue: _verification_due,
}
#: the types that notify someone (after org.pmo.kb.); `processmodel.updated` only when it is
#: a process change, not a save
TYPES = tuple(dict.fromkeys(cls.TYPE for cls in (*_ABOUT_NOTHING, *_ABOUT_DOCUMENT,
                                                 processes.ProcessModelChanged)))  # fmt: skip


def _document(s: Session, e: KbEvent) -> Document | None:
    doc_id = e.lesson if isinstance(e, lessons.LessonActionAdded) else e.id
    return s.get(Document, doc_id) if isinstance(doc_id, str) and doc_id else None


def _drafts(s: Session, e: KbEvent) -> list[Draft]:
    if type(e) in _ABOUT_NOTHING:
        return _ABOUT_NOTHING[type(e)](s, e)
    if isinstance(e, processes.ProcessModelChanged):  # also about a process kb does not have
        doc = _document(s, e)
        return [] if e.id and doc is None else _process_changed(s, e, doc)
    builder = _ABOUT_DOCUMENT.get(type(e))
    doc = _document(s, e) if builder is not None else None
    return builder(s, e, doc) if doc is not None else []


def _caused_by(e: KbEvent) -> str | None:
    if isinstance(e, projects.ReviewCompleted):
        return e.completed_by
    if isinstance(e, documents.LessonTransitioned | lessons.LessonActionAdded):
        return e.actor
    return None


def parsed(event: Event) -> KbEvent | None:
    """One of kb's own events that notifies someone, as its class (None for any other)."""
    if event.source != KB_SOURCE or not event.type.startswith(KB_TYPE_PREFIX + "."):
        return None
    if event.type.removeprefix(KB_TYPE_PREFIX + ".") not in TYPES:
        return None
    try:
        return kinds.parse(event.type, event.data)
    except ValidationError:
        log.warning("event %s does not fit the class of %s: nobody is told", event.seq, event.type)
        return None


def recipients(s: Session, event: Event) -> list[Message]:
    """One message per person to tell about `event` (none for other events). The person who
    caused the event is not told about it."""
    e = parsed(event)
    if e is None:
        return []
    actor = _caused_by(e)
    messages: list[Message] = []
    seen_users: set[str] = set()
    seen_addresses: set[str] = set()
    for draft in _drafts(s, e):
        for person in draft.people:
            username = person.user.username if person.user is not None else None
            address = (person.address or "").strip()
            address = address if ADDRESS.fullmatch(address) else None  # a user's odd address too
            if username in seen_users or (address or "").lower() in seen_addresses:
                continue
            if (username is None and address is None) or (actor and username == actor.lower()):
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
            messages.append(Message(username, address, e.TYPE, title, body, link))
    return messages
