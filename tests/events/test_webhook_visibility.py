"""A subscriber never receives an event about a document its owner may not read."""

from __future__ import annotations

from sqlalchemy import select

from kb.documents import services as documents
from kb.events.jobs.dispatch import dispatch_new
from kb.events.jobs.models import HandlerRun
from kb.events.log.models import Event
from kb.events.webhooks import subscriptions


def test_events_about_restricted_lessons_reach_only_owners_who_may_read_them(
    kb, make_user, lesson_md
):
    make_user("sam", "reader")
    make_user("fay", "reader", groups=["finance"])
    sams, _ = subscriptions.create_subscription(
        kb.db, name="sam's", url="https://a.example/hook", owner="sam"
    )
    fays, _ = subscriptions.create_subscription(
        kb.db, name="fay's", url="https://b.example/hook", owner="fay"
    )
    anyone, _ = subscriptions.create_subscription(
        kb.db, name="nobody's", url="https://c.example/hook"
    )
    documents.create_document(kb.db, lesson_md("Supplier dispute settled", visibility="restricted",
                                                groups="[finance]"), actor="fay", type_hint="lesson")  # fmt: skip
    documents.create_document(
        kb.db, lesson_md("Kick-off went well"), actor="fay", type_hint="lesson"
    )
    dispatch_new(kb.db, kb.registry)
    with kb.db.read() as s:
        runs = s.execute(select(HandlerRun.handler, Event.data["title"].as_string())
                         .join(Event, Event.seq == HandlerRun.event_seq)).all()  # fmt: skip
    got = {(handler, title) for handler, title in runs}
    assert (f"webhook:{fays.id}", "Supplier dispute settled") in got
    assert (f"webhook:{sams.id}", "Supplier dispute settled") not in got
    assert (f"webhook:{anyone.id}", "Supplier dispute settled") not in got  # no owner: no reader
    assert {h for h, t in got if t == "Kick-off went well"} == {
        f"webhook:{sams.id}", f"webhook:{fays.id}", f"webhook:{anyone.id}"}  # fmt: skip
