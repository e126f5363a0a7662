"""GET /api/events: the event log with the state of each event's handlers (curators)."""

from __future__ import annotations

from kb.access_rules import CURATOR, needs
from kb.api import bp
from kb.api.models.events import Event, EventList, EventQuery
from kb.api.spec import contract, parsed_query
from kb.context import current
from kb.events.jobs import admin


@bp.get("/events")
@contract(ok=(200, EventList), query=EventQuery)
@needs(CURATOR, what="see the event log")
def list_events():
    """The event log, newest first, with the state of each event's handler runs"""
    query = parsed_query()
    views = admin.list_events(
        current().db,
        type=query.type or None,
        status=query.status,
        before=query.before or None,
        limit=query.limit,
    )
    return EventList(events=[Event.of(v) for v in views])


@bp.get("/events/<seq:seq>")
@contract(ok=(200, Event), errors=(404,))
@needs(CURATOR, what="see the event log")
def get_event(seq: int):
    """One event with its data and handler runs"""
    return Event.of(admin.get_event(current().db, seq))
