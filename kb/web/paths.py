"""Onboarding paths on the web: the list, one path with the viewer's progress, a step opened
and acknowledged, the curators' editor (Markdown), reordering, assigning and retiring; and
the start page for new joiners (/start)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from kb.access_rules import CURATOR, READER, USER, needs
from kb.context import current
from kb.core.errors import Conflict, Forbidden, KbError, NotFound
from kb.paths import progress, services
from kb.paths.source import parse_path, path_source
from kb.readmodels.paths import path_view
from kb.readmodels.start import start_page as start_model
from kb.security import viewer
from kb.web import bp
from kb.web.present import document_url

NEW_PATH = """---
title:
audience:
summary:
status: active
---

1. [Start here: your first two weeks in the PMO](GD-0001) — 20 min
"""


def _view(path_id: str):  # noqa: ANN202
    try:
        return path_view(current().db, viewer(), path_id)
    except NotFound:
        abort(404)


def _refused(exc: KbError) -> None:
    if isinstance(exc, NotFound):
        abort(404)
    if isinstance(exc, Forbidden):
        abort(403, description=exc.message)


@bp.get("/start")
@needs(READER)
def start_page():
    return render_template("start.html", start=start_model(current().db, viewer()))


@bp.get("/paths")
@needs(READER)
def list_paths():
    curating = viewer().has_role("curator")
    return render_template(
        "paths.html", paths=services.list_paths(current().db, retired=curating), curating=curating
    )


@bp.get("/paths/<path_id>")
@needs(READER)
def path_page(path_id: str):
    return render_template("path.html", view=_view(path_id))


@bp.get("/paths/<path_id>/steps/<int:step_id>")
@needs(READER)
def open_path_step(path_id: str, step_id: int):
    """Records that the viewer opened the step (when they are on the path) and takes them to
    it; a document they may not read is a 404, as everywhere."""
    view = _view(path_id)
    step = next((s for s in view.steps if s.step.id == step_id), None)
    if step is None or step.hidden:
        abort(404)
    progress.open_step(current().db, viewer(), path_id, step_id)
    return redirect(step.link or _in_path(step.doc_type, step.doc_id, path_id, step_id), code=303)


def _in_path(doc_type: str, doc_id: str, path_id: str, step_id: int) -> str:
    """The document's page with the path bar: its place in the path, "I've read this" and
    the next step."""
    return document_url(doc_type, doc_id, path=path_id, step=step_id)


def _back(path_id: str, anchor: str | None = None):  # noqa: ANN202
    return redirect(url_for("web.path_page", path_id=path_id, _anchor=anchor), code=303)


@bp.post("/paths/<path_id>/take")
@needs(USER)
def take_path(path_id: str):
    try:
        progress.take(current().db, viewer(), path_id)
    except (Conflict, Forbidden, NotFound) as exc:
        _refused(exc)
        flash(exc.message, "error")
    else:
        flash("The path is yours: start with the first step.", "success")
    return _back(path_id)


@bp.post("/paths/<path_id>/steps/<int:step_id>/read")
@needs(USER)
def acknowledge_path_step(path_id: str, step_id: int):
    view = _view(path_id)
    step = next((s for s in view.steps if s.step.id == step_id and not s.hidden), None)
    if step is None:
        abort(404)
    on_document = request.form.get("from") == "document" and step.doc_id is not None
    try:
        enrolment = progress.acknowledge(current().db, viewer(), path_id, step_id)
    except (Conflict, Forbidden, NotFound) as exc:
        _refused(exc)
        flash(exc.message, "error")
        return _back(path_id)
    if enrolment.completed_at is not None and not view.completed:
        flash(f"Path completed: {view.path.title}. Well done.", "success")
        return _back(path_id)
    flash("Marked as read.", "success")
    if on_document:
        return redirect(_in_path(step.doc_type, step.doc_id, path_id, step_id), code=303)
    return _back(path_id, "continue")


@bp.post("/paths/<path_id>/assign")
@needs(CURATOR)
def assign_path(path_id: str):
    try:
        progress.assign(current().db, viewer(), path_id, request.form.get("username", ""))
    except KbError as exc:
        _refused(exc)
        flash(f"Not assigned: {exc.message}", "error")
    else:
        flash("Assigned. You will see their progress here and on your start page.", "success")
    return _back(path_id, "people")


@bp.post("/paths/<path_id>/steps/<int:step_id>/move")
@needs(CURATOR)
def move_path_step(path_id: str, step_id: int):
    offset = -1 if request.form.get("direction") == "up" else 1
    try:
        services.move_step(current().db, viewer(), path_id, step_id, offset)
    except KbError as exc:
        _refused(exc)
    return _back(path_id, f"step-{step_id}")


@bp.post("/paths/<path_id>/retire")
@needs(CURATOR)
def retire_path(path_id: str):
    try:
        services.retire_path(current().db, viewer(), path_id)
    except KbError as exc:
        _refused(exc)
        flash(exc.message, "error")
    else:
        flash("Retired: the path takes nobody new; progress on it is kept.", "success")
    return _back(path_id)


@bp.route("/paths/new", methods=["GET", "POST"])
@needs(CURATOR)
def new_path():
    return _editor(None)


@bp.route("/paths/<path_id>/edit", methods=["GET", "POST"])
@needs(CURATOR)
def edit_path(path_id: str):
    return _editor(path_id)


def _editor(path_id: str | None):  # noqa: ANN202
    db = current().db
    if path_id is not None:
        try:
            path = services.get_path(db, path_id)
        except NotFound:
            abort(404)
    source = path_source(path) if path_id else NEW_PATH
    error = None
    if request.method == "POST":
        source = request.form.get("markdown", "").replace("\r\n", "\n")
        try:
            saved = services.save_path(db, viewer(), parse_path(source), path_id=path_id)
        except KbError as exc:
            _refused(exc)
            error = exc.message
        else:
            flash(f"Saved {saved.id}.", "success")
            return _back(saved.id)
    return render_template(
        "path_edit.html", path_id=path_id, source=source, error=error
    ), 422 if error else 200
