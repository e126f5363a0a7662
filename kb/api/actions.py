"""A lesson's actions: GET/POST /api/lessons/<id>/actions, POST /api/actions/<id>/close
(GET /api/lessons/<id> lists them too: kb.api.documents)."""

from __future__ import annotations

from kb.access_rules import CURATOR, READER, USER, needs
from kb.actions import services as actions
from kb.api import bp
from kb.api.models.actions import Action, ActionClose, ActionList, ActionWrite
from kb.api.spec import contract, parsed_body
from kb.context import current
from kb.security import viewer


def _out(action) -> Action:  # noqa: ANN001
    return Action.of(action, may_close=actions.may_close(viewer(), action))


@bp.get("/lessons/<doc_id>/actions")
@contract(ok=(200, ActionList), errors=(404,))
@needs(READER)
def list_lesson_actions(doc_id: str):
    """A lesson's actions, oldest first"""
    found = actions.list_actions(current().db, doc_id, viewer=viewer())
    return ActionList(actions=[_out(a) for a in found])


@bp.post("/lessons/<doc_id>/actions")
@contract(
    ok=(201, Action),
    json=ActionWrite,
    errors=(404,),
    HTTP_400="A missing or invalid field, or a lesson that takes no actions",
    HTTP_409="Open actions remain (no_action)",
)
@needs(CURATOR, what="add actions to lessons")
def add_lesson_action(doc_id: str):
    """Add an action to a published or in-action lesson (curators), or record that it needs none

    Emits `org.pmo.kb.lesson.action.added`. The first action on a published lesson moves it
    to in_action. `{"no_action": true, "rationale": ...}` records a closed action of kind
    `none` and moves the lesson to actioned.
    """
    body, db = parsed_body(), current().db
    if body.no_action:
        action = actions.no_action(db, doc_id, viewer=viewer(), rationale=body.rationale)
    else:
        action = actions.add_action(
            db,
            doc_id,
            viewer=viewer(),
            description=body.description,
            owner=body.owner,
            due_on=body.due_on,
            target_kind=body.target_kind,
            target_ref=body.target_ref,
        )
    return _out(action), 201


@bp.post("/actions/<int:action_id>/close")
@contract(ok=(200, Action), json=ActionClose, errors=(404,), HTTP_409="Already closed")
@needs(USER)  # the action's owner or a curator, per action (kb.actions)
def close_action(action_id: int):
    """Close an action (curators, or the action's owner)

    Emits `org.pmo.kb.lesson.action.closed`; when the lesson's last open action closes, an
    in-action lesson becomes actioned.
    """
    note = parsed_body().note
    return _out(actions.close_action(current().db, action_id, viewer=viewer(), note=note))
