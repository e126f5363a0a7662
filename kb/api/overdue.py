"""Lists across lessons and projects: GET /api/actions (?status=open|closed|overdue|any,
?owner=, ?mine=) and GET /api/reviews (?overdue=) — what is overdue, for scripts and chat."""

from __future__ import annotations

from kb.access_rules import READER, needs
from kb.actions import services as actions
from kb.api import bp
from kb.api.models.actions import Action
from kb.api.models.overdue import (
    ActionRow,
    ActionRows,
    ActionsQuery,
    ReviewRow,
    ReviewRows,
    ReviewsQuery,
)
from kb.api.spec import contract, parsed_query
from kb.context import current
from kb.core.errors import ValidationError
from kb.core.time import utcnow
from kb.overdue import services as overdue
from kb.params import FLAGS
from kb.security import viewer


@bp.get("/actions")
@contract(ok=(200, ActionRows), query=ActionsQuery)
@needs(READER)
def list_actions():
    """Actions of the lessons you may read, soonest due first"""
    query = parsed_query()
    owner = (query.owner or "").strip() or None
    if FLAGS[query.mine]:
        if viewer().is_anonymous:
            raise ValidationError("`mine` needs a signed-in user or a token.", field="mine")
        owner = viewer().username
    rows = overdue.list_actions(
        current().db,
        viewer(),
        today=utcnow().date(),
        overdue=query.status == "overdue",
        owner=owner,
        status="any" if query.status == "overdue" else query.status,
    )
    return ActionRows(
        actions=[
            ActionRow(
                **Action.of(r.action, may_close=actions.may_close(viewer(), r.action)).model_dump(),
                lesson_title=r.lesson.title,
                project=r.lesson.project_key,
            )
            for r in rows
        ]
    )


@bp.get("/reviews")
@contract(ok=(200, ReviewRows), query=ReviewsQuery)
@needs(READER)
def list_reviews():
    """Open lessons reviews, soonest due first"""
    today = utcnow().date()
    found = overdue.list_reviews(current().db, today=today, overdue=FLAGS[parsed_query().overdue])
    return ReviewRows(
        reviews=[
            ReviewRow(
                id=r.id,
                project=r.project_key,
                due_on=r.due_on,
                facilitator=r.facilitator,
                status=r.status,
                overdue_since=r.due_on if overdue.review_overdue(r, today) else None,
            )
            for r in found
        ]
    )
