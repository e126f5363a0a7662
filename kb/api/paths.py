"""Onboarding paths: GET/POST /api/paths, GET/PUT /api/paths/<id>, POST .../retire,
POST .../enrolments (take or assign), POST .../steps/<id>/opened and /acknowledged, and
GET /api/me/paths (your progress)."""

from __future__ import annotations

from kb.access_rules import CURATOR, READER, USER, needs
from kb.api import bp
from kb.api.models.paths import (
    Enrol,
    MyPaths,
    PathDetail,
    PathList,
    PathQuery,
    PathSummary,
    PathWrite,
)
from kb.api.spec import contract, parsed_body, parsed_query
from kb.context import current
from kb.core.errors import NotFound, ValidationError
from kb.params import FLAGS
from kb.paths import progress, services
from kb.paths.source import PathFields, check_steps, parse_path, parse_step
from kb.readmodels.paths import my_paths, path_view
from kb.security import viewer

WRITTEN = "A step naming a document kb does not hold, or a step that is not one (`field`: steps)"


def _detail(path_id: str) -> PathDetail:
    return PathDetail.of(path_view(current().db, viewer(), path_id))


def _fields(body: PathWrite) -> PathFields:
    if body.markdown is not None:
        return parse_path(body.markdown)
    if body.title is None:
        raise ValidationError("Send `markdown`, or the fields with `title`.", field="title")
    lines = [f"{n}. [{s.title}]({s.target}) — {s.minutes} min" for n, s in enumerate(body.steps, 1)]
    return PathFields(
        id=None,
        title=body.title.strip(),
        audience=body.audience.strip(),
        summary=body.summary.strip(),
        status=body.status,
        steps=check_steps([parse_step(line, n) for n, line in enumerate(lines, 1)]),
    )


@bp.get("/paths")
@contract(ok=(200, PathList), query=PathQuery)
@needs(READER)
def list_paths():
    """Onboarding paths by title (active ones; `retired=1` adds retired ones)"""
    retired = FLAGS[parsed_query().retired]
    found = services.list_paths(current().db, retired=retired)
    return PathList(paths=[PathSummary(**PathSummary.fields(p)) for p in found])


@bp.post("/paths")
@contract(ok=(201, PathDetail), json=PathWrite, errors=(422,), HTTP_400=WRITTEN)
@needs(CURATOR, what="write onboarding paths")
def create_path():
    """Create a path (curators); emits `org.pmo.kb.path.created`"""
    fields = _fields(parsed_body())
    path = services.save_path(current().db, viewer(), fields)
    return _detail(path.id), 201


@bp.get("/paths/<path_id>")
@contract(ok=(200, PathDetail), errors=(404,))
@needs(READER)
def get_path(path_id: str):
    """One path: its steps as you may see them, your progress, and the people on it (curators)
    or those you assigned it to"""
    return _detail(path_id)


@bp.put("/paths/<path_id>")
@contract(ok=(200, PathDetail), json=PathWrite, errors=(404,), HTTP_400=WRITTEN)
@needs(CURATOR, what="change onboarding paths")
def update_path(path_id: str):
    """Save a path's new title, audience, summary or steps — added, removed or reordered
    (curators). A step that keeps its target keeps its id and the progress made on it."""
    services.save_path(current().db, viewer(), _fields(parsed_body()), path_id=path_id)
    return _detail(path_id)


@bp.post("/paths/<path_id>/retire")
@contract(ok=(200, PathDetail), errors=(404,))
@needs(CURATOR)
def retire_path(path_id: str):
    """Retire a path (curators): it takes nobody new; progress on it is kept"""
    services.retire_path(current().db, viewer(), path_id)
    return _detail(path_id)


@bp.post("/paths/<path_id>/enrolments")
@contract(
    ok=(201, PathDetail),
    json=Enrol,
    errors=(404,),
    HTTP_409="A retired path, or the person is on it already",
)
@needs(USER)
def enrol_path(path_id: str):
    """Take a path yourself, or assign it to `username` (curators); emits
    `org.pmo.kb.path.started`"""
    username = parsed_body().username
    if username is None:
        progress.take(current().db, viewer(), path_id)
    else:
        progress.assign(current().db, viewer(), path_id, username)
    return _detail(path_id), 201


@bp.post("/paths/<path_id>/steps/<int:step_id>/opened")
@contract(ok=(200, PathDetail), errors=(404,))
@needs(USER)
def open_step(path_id: str, step_id: int):
    """Record that you opened a step (when you are on the path)"""
    _visible_step(path_id, step_id)
    progress.open_step(current().db, viewer(), path_id, step_id)
    return _detail(path_id)


@bp.post("/paths/<path_id>/steps/<int:step_id>/acknowledged")
@contract(ok=(200, PathDetail), errors=(404, 409))
@needs(USER)
def acknowledge_step(path_id: str, step_id: int):
    """ "I've read this": acknowledge a step at its document's current revision (taking the
    path first when you are not on it); the last step completes the path. Emits
    `org.pmo.kb.path.step.acknowledged` (and `org.pmo.kb.path.completed`)."""
    _visible_step(path_id, step_id)
    progress.acknowledge(current().db, viewer(), path_id, step_id)
    return _detail(path_id)


def _visible_step(path_id: str, step_id: int) -> None:
    view = path_view(current().db, viewer(), path_id)
    if not any(s.step.id == step_id and not s.hidden for s in view.steps):
        raise NotFound(f"{path_id} has no step {step_id}.")


@bp.get("/me/paths")
@contract(ok=(200, MyPaths))
@needs(USER)
def my_paths_progress():
    """Your paths and your progress on each, unfinished first"""
    return MyPaths(paths=[PathDetail.of(v) for v in my_paths(current().db, viewer())])
