"""GET /api/projects/<key>/briefings and POST /api/briefings/<id>/responses: the lessons kb
pushed to a project manager at the start and at every gate, and their answers."""

from __future__ import annotations

from kb.access_rules import READER, needs
from kb.api import bp
from kb.api.models.briefings import BriefingAnswer, BriefingLesson, BriefingList, BriefingResponse
from kb.api.spec import contract, parsed_body
from kb.briefings import services as briefings
from kb.context import current
from kb.core.errors import Forbidden, NotFound
from kb.security import viewer


@bp.get("/projects/<key>/briefings")
@contract(ok=(200, BriefingList))
@needs(READER)
def list_project_briefings(key: str):
    """The project's briefings (at its start and every gate), with only the lessons you may read"""
    db, who = current().db, viewer()
    found = briefings.list_briefings(db, key)
    ids = sorted({i.lesson_id for b in found for i in b.items})
    docs = briefings.readable_lessons(db, ids, who)
    return BriefingList(project=key.upper(), briefings=[BriefingAnswer.of(b, docs) for b in found])


@bp.post("/briefings/<int:briefing_id>/responses")
@contract(
    ok=(200, BriefingLesson),
    json=BriefingResponse,
    HTTP_400="Not a valid answer",
    HTTP_403="Not yours to answer",
    HTTP_404="No such briefing or lesson in it",
)
@needs(READER)  # contributors or its project manager, per briefing
def respond_to_briefing(briefing_id: int):
    """Answer for one lesson of a briefing: applies, not applicable or action taken (contributors, or the briefing's project manager)"""
    db, who = current().db, viewer()
    briefing = briefings.get_briefing(db, briefing_id)
    if briefing is None:
        raise NotFound(f"No briefing {briefing_id}.")
    if not briefings.may_respond(who, briefing):
        raise Forbidden("Only a contributor or the briefing's project manager may answer it.")
    body = parsed_body()
    item = briefings.respond(db, briefing_id, body.lesson, body.response, who)
    docs = briefings.readable_lessons(db, [item.lesson_id], who)
    return BriefingLesson.of(item, docs[item.lesson_id].title if item.lesson_id in docs else "")
