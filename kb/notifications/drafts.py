"""What each of kb's own events tells whom: one builder per event type, returning Drafts.

A Draft names the people, the wording (fixed or per reader) and the document it is about;
`kb.notifications.recipients` turns drafts into one message per person and drops whoever may
not read the document.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from urllib.parse import quote

from sqlalchemy.orm import Session

from kb.accounts.viewer import Viewer
from kb.documents import access, references
from kb.documents.models import Document
from kb.events.kinds import (
    KbEvent,
    documents,
    lessons,
    processes,
    projects,
)
from kb.notifications import process_steps
from kb.notifications.draft import Draft
from kb.notifications.people import (
    Person,
    people_named,
    person_by_email,
    person_named_or_addressed,
    the_pmo,
    user_named,
)

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
    body = (
        f"Project {e.project} has closed and its lessons review is open, due on {e.due_on}. "
        "As its facilitator, gather with the team what went well and what to improve, "
        "record a lesson for each, then submit the review."
    )
    return [
        Draft(
            [person] if person else [],
            f"Lessons review of {e.project} is open",
            body,
            review_link(e.project),
        )
    ]


def _review_overdue(s: Session, e: projects.ReviewOverdue) -> list[Draft]:
    key, due = e.project, e.due_on
    if e.level == 2:
        body = (
            f"The lessons review of project {key} was due on {due} and is still open; its "
            f"facilitator ({e.facilitator or 'nobody'}) was reminded. Please follow "
            "up."
        )
        return [
            Draft(
                the_pmo(s),
                f"Lessons review of {key} is overdue (escalated)",
                body,
                review_link(key),
            )
        ]
    person = person_by_email(s, e.facilitator)
    body = f"The lessons review of project {key} was due on {due}. Please complete and submit it."
    return [
        Draft(
            [person] if person else [],
            f"Lessons review of {key} is overdue",
            body,
            review_link(key),
        )
    ]


def _review_completed(s: Session, e: projects.ReviewCompleted) -> list[Draft]:
    def body(viewer: Viewer) -> str:
        text = f"{e.completed_by or 'Someone'} completed the lessons review of project {e.project}."
        ids = _readable_ids(s, viewer, e.lessons)
        if ids:
            text += f" Lessons submitted for curation: {', '.join(ids)}."
        return text

    return [
        Draft(the_pmo(s), f"Lessons review of {e.project} completed", body, review_link(e.project))
    ]


def _lessons_recommended(s: Session, e: projects.LessonsRecommended) -> list[Draft]:
    key, trigger = e.project, e.trigger
    person = person_named_or_addressed(s, e.recipient)
    when = "its start" if trigger == "started" else f"stage gate {trigger.removeprefix('gate:')}"

    def body(viewer: Viewer) -> str | None:
        readable = set(_readable_ids(s, viewer, [x.id for x in e.lessons]))
        lines = [
            f"- {x.id} {_quoted(x.title)}: {x.reason}".rstrip(": ")
            for x in e.lessons
            if x.id in readable
        ]
        if not lines:
            return None
        return (
            f"Lessons worth reading for project {key} at {when}:\n"
            + "\n".join(lines)
            + "\nOn the project page, mark each one: applies, not applicable or action "
            "taken."
        )

    return [
        Draft([person] if person else [], f"Lessons for {key} at {when}", body, project_link(key))
    ]


def _lesson_submitted(s: Session, e: documents.LessonSubmitted, doc: Document) -> list[Draft]:
    project = f" of project {doc.project_key}" if doc.project_key else ""
    body = (
        f"{e.actor or 'Someone'} submitted the lesson {doc.id} {_quoted(doc.title)}"
        f"{project}. It waits in the curator's queue."
    )
    return [Draft(the_pmo(s), f"{doc.id} submitted: {doc.title}", body, lesson_link(doc.id), doc)]


_TO_CREATOR = {
    documents.LessonPublished: ("published", ""),
    documents.LessonRejected: (
        "rejected",
        "Reason: {reason}. You can return it to draft and rework it.",
    ),
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

    return [
        Draft(
            [Person(creator, creator.email)] if creator else [],
            f"Your lesson {doc.id} was {verb}",
            body,
            lesson_link(doc.id),
            doc,
        )
    ]


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
        return (
            text + f". It has recurred {e.recurrence_count} time(s); the lesson is reopened "
            "for review."
        )

    def title(viewer: Viewer) -> str:
        return f"Lesson {doc.id} recurred in {where(viewer)}"

    return [Draft(people, title, body, lesson_link(doc.id), doc)]


def _to_action_owner(
    s: Session, e: lessons.LessonAction, doc: Document, title: str, body: str
) -> list[Draft]:
    """One draft for the action's owner, none when kb does not know them."""
    person = person_named_or_addressed(s, e.owner)
    return [Draft([person] if person else [], title, body, lesson_link(doc.id), doc)]


def _action_added(s: Session, e: lessons.LessonActionAdded, doc: Document) -> list[Draft]:
    description = " ".join(e.description.split())
    body = (
        f"{e.actor or 'Someone'} gave you an action on lesson {doc.id} "
        f"{_quoted(doc.title)}: {description}. Due on {e.due_on or 'no date'}. "
        "Close it on the lesson's page when it is done."
    )
    return _to_action_owner(s, e, doc, f"An action for you on {doc.id}: {description}", body)


def _day(day: date | None) -> str:
    """2026-11-03 -> 3 Nov 2026 (as the pages write dates)."""
    return f"{day.day} {day:%b %Y}" if day else ""


def _action_overdue(s: Session, e: lessons.LessonActionOverdue, doc: Document) -> list[Draft]:
    description = " ".join(e.description.split())
    body = (
        f"Your action on lesson {doc.id} {_quoted(doc.title)} is overdue since "
        f"{_day(e.due_on)}: {description}. Close it on the lesson's page when it is "
        "done, or ask a curator to change its due date."
    )
    title = f"Overdue since {_day(e.due_on)}: your action on {doc.id}"
    return _to_action_owner(s, e, doc, title, body)


def _review_due(s: Session, e: processes.ProcessModelReviewDue, doc: Document) -> list[Draft]:
    """The owner and the custodian as far as kb knows them (a username, an address, `PMO`);
    the PMO when it knows neither."""
    people = people_named(s, e.owner) + people_named(s, e.custodian)
    body = (
        f"The process model {doc.id} {_quoted(doc.title)} was last reviewed on "
        f"{_day(e.last_reviewed)} and was due for review on {_day(e.due_on)} "
        f"(owner: {e.owner or 'none'}; custodian: {e.custodian or 'none'}). Review it: when "
        "it still holds, record “Reviewed, no change” on its page; otherwise change it."
    )
    return [
        Draft(
            people or the_pmo(s),
            f"Review overdue since {_day(e.due_on)}: {doc.id} {doc.title}",
            body,
            f"/processes/{quote(doc.id, safe='')}",
            doc,
        )
    ]


def _custodian_changed(
    s: Session, e: processes.ProcessModelCustodianChanged, doc: Document
) -> list[Draft]:
    body = (
        f"Project {e.project} closed: the process model {doc.id} "
        f"{_quoted(doc.title)} passed from {e.from_ or 'its team'} into the PMO's "
        f"custody (owner: {e.owner or 'none'}). Confirm a business-as-usual "
        "owner."
    )
    return [Draft(the_pmo(s), f"{doc.id} is now in the PMO's custody", body, "/tasks", doc)]


def _verification_due(s: Session, e: lessons.LessonVerificationDue, doc: Document) -> list[Draft]:
    body = (
        f"Audit {e.audit} of project {doc.project_key or e.project} "
        f"is complete: check that the problem of lesson {doc.id} {_quoted(doc.title)} did "
        "not recur, and record the evidence to verify it."
    )
    return [
        Draft(the_pmo(s), f"Verify lesson {doc.id}: {doc.title}", body, lesson_link(doc.id), doc)
    ]


def _process_changed(
    s: Session, e: processes.ProcessModelChanged, doc: Document | None
) -> list[Draft]:
    name = e.process_id or (doc.id if doc else "")
    what = f"{e.change_type} process {name} {_quoted(e.title)} (version {e.version}, effective "

    def body(viewer: Viewer) -> str:
        text = (f"{e.changed_by or 'Someone'} {what}{e.effective_from}): {e.summary}").rstrip(": ")
        ids = _readable_ids(s, viewer, e.flagged_lessons)
        return text + (f"\nLessons to revalidate: {', '.join(ids)}." if ids else "")

    link = "/tasks" if e.flagged_lessons or doc is None else f"/processes/{quote(doc.id, safe='')}"
    return [
        Draft(the_pmo(s), f"Process {name} {e.change_type} (version {e.version})", body, link, doc)
    ]


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
    lessons.LessonActionOverdue: _action_overdue,
    processes.ProcessModelReviewDue: _review_due,
    processes.ProcessModelCustodianChanged: _custodian_changed,
    lessons.LessonVerificationDue: _verification_due,
    **process_steps.BUILDERS,
}
#: the types that notify someone (after org.pmo.kb.); `processmodel.updated` only when it is
#: a process change, not a save
TYPES = tuple(
    dict.fromkeys(
        cls.TYPE for cls in (*_ABOUT_NOTHING, *_ABOUT_DOCUMENT, processes.ProcessModelChanged)
    )
)


def _document(s: Session, e: KbEvent) -> Document | None:
    doc_id = e.lesson if isinstance(e, lessons.LessonAction) else e.id
    return s.get(Document, doc_id) if isinstance(doc_id, str) and doc_id else None


def drafts(s: Session, e: KbEvent) -> list[Draft]:
    if type(e) in _ABOUT_NOTHING:
        return _ABOUT_NOTHING[type(e)](s, e)
    if isinstance(e, processes.ProcessModelChanged):  # also about a process kb does not have
        doc = _document(s, e)
        return [] if e.id and doc is None else _process_changed(s, e, doc)
    builder = _ABOUT_DOCUMENT.get(type(e))
    doc = _document(s, e) if builder is not None else None
    return builder(s, e, doc) if doc is not None else []
