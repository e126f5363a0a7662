"""Projects: the register with its document counts, and one project's page with its
briefings (the lessons kb pushed at its start and at every gate) and their answers."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from kb.access_rules import CURATOR, READER, needs
from kb.briefings import services as briefings
from kb.briefings.models import Briefing, BriefingItem
from kb.context import current
from kb.core.errors import KbError, NotFound, ValidationError
from kb.documents import services as documents
from kb.documents.kinds import BY_NAME
from kb.documents.models import Document
from kb.markdown import to_html
from kb.overdue import services as overdue
from kb.params import flag_arg
from kb.projects import services as projects
from kb.reviews import services as reviews
from kb.security import viewer
from kb.web import bp
from kb.web.overdue import lessons_late, today
from kb.web.process_reviews import health_counts

#: the project page shows its lessons last changed first, this many (the list has them all),
#: and up to PROJECT_DOCUMENTS of its other documents (models, guides: a project has few)
PROJECT_LESSONS = 20
PROJECT_DOCUMENTS = 100
RESPONSE_LABELS = {
    "applies": "Applies",
    "not_applicable": "Not applicable",
    "action_taken": "Action taken",
}


@lru_cache(maxsize=256)
def _rendered(source: str) -> str:
    return to_html(source)


def description_html(source: str) -> Markup | None:
    """A project's description through the one sanitising Markdown pipeline (the HTML of
    the last descriptions shown is kept: the same text renders the same)."""
    if not source.strip():
        return None
    try:
        return Markup(_rendered(source))  # noqa: S704 - to_html sanitises with nh3
    except KbError:
        current_app.logger.warning("project description could not be rendered", exc_info=True)
        return None


def trigger_label(trigger: str) -> str:
    """started -> Project start; gate:G2 -> Gate G2."""
    if trigger == "started":
        return "Project start"
    if trigger.startswith("gate:"):
        return f"Gate {trigger.removeprefix('gate:')}".strip()
    return trigger


@dataclass
class BriefingView:
    briefing: Briefing
    label: str
    #: only the lessons the viewer may read, in the briefing's order
    items: list[tuple[BriefingItem, Document]]
    may_respond: bool

    @property
    def answered(self) -> int:
        return sum(1 for item, _ in self.items if item.response)


def project_briefings(key: str) -> list[BriefingView]:
    """The project's briefings, newest first, as the viewer may see them."""
    db, who = current().db, viewer()
    found = briefings.list_briefings(db, key)
    ids = sorted({i.lesson_id for b in found for i in b.items})
    docs = briefings.readable_lessons(db, ids, who)
    return [
        BriefingView(
            b,
            trigger_label(b.trigger),
            [(i, docs[i.lesson_id]) for i in b.items if i.lesson_id in docs],
            briefings.may_respond(who, b),
        )
        for b in reversed(found)
    ]


REGISTER_FIELDS = ("key", "name", "status", "portfolio", "manager", "started_on", "description")


def _projects_page(status: int = 200, typed: dict | None = None, **context):
    db = current().db
    late_only = flag_arg("overdue")
    open_reviews = {
        r.project_key: r for r in overdue.list_reviews(db, today=today(), overdue=late_only)
    }
    summaries = documents.project_summaries(db, viewer())
    if late_only:
        summaries = [x for x in summaries if x.project.key in open_reviews]
    body = render_template(
        "projects.html",
        summaries=summaries,
        reviews=open_reviews,
        late_only=late_only,
        typed=typed or {},
        statuses=projects.PROJECT_STATUSES,
        **context,
    )
    return body, status


@bp.get("/projects")
@needs(READER)
def list_projects():
    """The register; each project's open lessons review, marked when overdue (?overdue=1: only
    the projects whose review is overdue)."""
    return _projects_page()


@bp.post("/projects")
@needs(CURATOR)
def register_project():
    """A curator registers a project (the others come from project tools' events)."""
    typed = {k: request.form.get(k, "").strip() for k in REGISTER_FIELDS}
    meta = {**typed, "key": typed["key"].upper(), "name": " ".join(typed["name"].split())}
    meta["started_on"] = typed["started_on"] or None
    with suppress(TypeError, ValueError):  # else kept as typed: project_fields names it
        meta["started_on"] = date.fromisoformat(meta["started_on"])
    try:
        fields = projects.project_fields(meta, typed["description"])
        project = projects.register_new_project(current().db, fields, actor=viewer().actor)
    except KbError as exc:
        return _projects_page(exc.status, typed=typed, error=exc.message, error_field=exc.field)
    flash(f"Project {project.key} ({project.name}) registered.", "success")
    return redirect(url_for("web.project", key=project.key), code=303)


@bp.get("/projects/<key>")
@needs(READER)
def project(key: str):
    project = projects.get_project(current().db, key)
    if project is None:
        abort(404)
    db, mine = current().db, {"project": [project.key]}
    lessons = documents.list_documents(
        db, mine | {"type": ["lesson"]}, per_page=PROJECT_LESSONS, viewer=viewer()
    )
    others = [name for name in BY_NAME if name != "lesson"]
    docs = documents.list_documents(
        db, mine | {"type": others}, per_page=PROJECT_DOCUMENTS, sort="id", viewer=viewer()
    )
    return render_template(
        "project.html",
        project=project,
        description=description_html(project.description or ""),
        description_text=project.description or "",
        lessons=lessons,
        processes=[d for d in docs.items if d.type == "process"],
        process_health=health_counts(docs.items),
        others=[d for d in docs.items if d.type != "process"],
        more_documents=docs.total - len(docs.items),
        briefings=project_briefings(project.key),
        overdue_lessons=lessons_late(lessons.items),
        response_labels=RESPONSE_LABELS,
        lessons_review=reviews.get_review(current().db, project.key),
    )


@bp.post("/projects/<key>/briefings/<int:briefing_id>/responses")
@needs(READER)  # contributors or its project manager, per briefing
def respond_to_briefing(key: str, briefing_id: int):
    db, who = current().db, viewer()
    briefing = briefings.get_briefing(db, briefing_id)
    if briefing is None or briefing.project_key != key.strip().upper():
        abort(404)
    if not briefings.may_respond(who, briefing):
        abort(
            403, description="Only a contributor or the briefing's project manager may answer it."
        )
    page = url_for("web.project", key=briefing.project_key, _anchor=f"briefing-{briefing_id}")
    try:
        item = briefings.respond(
            db, briefing_id, request.form.get("lesson"), request.form.get("response"), who
        )
    except NotFound:
        abort(404)
    except ValidationError as exc:
        flash(f"Answer not recorded: {exc.message}", "error")
        return redirect(page, code=303)
    doc = briefings.readable_lessons(db, [item.lesson_id], who).get(item.lesson_id)
    title = doc.title if doc is not None else item.lesson_id
    flash(f"Recorded: “{title}” — {RESPONSE_LABELS[item.response].lower()}.", "success")
    return redirect(page, code=303)
