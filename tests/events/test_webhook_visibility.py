"""A subscriber never receives an event about a document its owner may not read."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kb.documents import services as documents
from kb.events.jobs.dispatch import dispatch_new
from kb.events.jobs.models import HandlerRun
from kb.events.jobs.registry import Registry
from kb.events.kinds.documents import LessonPublished
from kb.events.kinds.examples import example
from kb.events.log.models import Event
from kb.events.log.services import append_event
from kb.events.webhooks import delivery, subscriptions


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
    documents.create_document(
        kb.db,
        lesson_md("Supplier dispute settled", visibility="restricted", groups="[finance]"),
        actor="fay",
        type_hint="lesson",
    )
    documents.create_document(
        kb.db, lesson_md("Kick-off went well"), actor="fay", type_hint="lesson"
    )
    dispatch_new(kb.db, kb.registry)
    with kb.db.read() as s:
        runs = s.execute(
            select(HandlerRun.handler, Event.data["title"].as_string()).join(
                Event, Event.seq == HandlerRun.event_seq
            )
        ).all()
    got = {(handler, title) for handler, title in runs}
    assert (f"webhook:{fays.id}", "Supplier dispute settled") in got
    assert (f"webhook:{sams.id}", "Supplier dispute settled") not in got
    assert (f"webhook:{anyone.id}", "Supplier dispute settled") not in got  # no owner: no reader
    assert {h for h, t in got if t == "Kick-off went well"} == {
        f"webhook:{sams.id}",
        f"webhook:{fays.id}",
        f"webhook:{anyone.id}",
    }


# --- the rules are required: forgetting them is an error, never "everything visible" ---------


def test_webhooks_cannot_be_registered_without_the_visibility_rules(config):
    registry = Registry()
    with pytest.raises(TypeError):
        delivery.register(registry, config)  # type: ignore[call-arg]
    for missing in (None, lambda event, subscription: True):
        with pytest.raises(TypeError, match="visibility rules"):
            delivery.register(registry, config, missing)  # type: ignore[arg-type]
    assert registry.resolve("webhook:1") is None and not registry.fanouts
    # nothing left at module level for an application to forget to set
    assert not hasattr(delivery, "visibility_rule") and not hasattr(delivery, "payload_rule")


def test_a_rule_is_a_function_or_no_rules_are_built():
    allow = lambda event, subscription: True  # noqa: E731
    for visible, payload in ((None, allow), (allow, None), ("yes", allow)):
        with pytest.raises(TypeError, match="rule must be a function"):
            delivery.Rules(visible=visible, payload=payload)  # type: ignore[arg-type]


def test_fanout_and_delivery_cannot_be_called_without_the_rules(kb):
    sub, _ = subscriptions.create_subscription(kb.db, name="any", url="https://a.example/hook")
    with kb.db.write() as s:
        event = append_event(s, example(LessonPublished, id="LL-1"))
        s.flush()
        run = HandlerRun(event_seq=event.seq, handler=f"webhook:{sub.id}", status="running")
        s.add(run)
    with kb.db.read() as s, pytest.raises(TypeError):
        delivery.fanout(s, event)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        delivery.deliver(kb.db, run, event)  # type: ignore[call-arg]
    assert subscriptions.list_deliveries(kb.db, sub.id) == []  # not one attempt was made


def test_the_rules_decide_what_is_fanned_out_and_what_is_sent(kb):
    """With rules that let nobody read anything, an active subscription to every type gets
    no run and, asked to deliver anyway, sends nothing."""
    sub, _ = subscriptions.create_subscription(kb.db, name="any", url="https://a.example/hook")
    with kb.db.write() as s:
        event = append_event(s, example(LessonPublished, id="LL-1"))
        s.flush()
        run = HandlerRun(event_seq=event.seq, handler=f"webhook:{sub.id}", status="running")
        s.add(run)
    nobody = delivery.Rules(visible=lambda e, sub: False, payload=lambda e, sub: None)
    everybody = delivery.Rules(visible=lambda e, sub: True, payload=lambda e, sub: e.data)
    with kb.db.read() as s:
        assert delivery.fanout(s, event, rules=nobody) == []
    with kb.db.read() as s:
        assert delivery.fanout(s, event, rules=everybody) == [f"webhook:{sub.id}"]
    delivery.deliver(kb.db, run, event, rules=nobody, timeout=1)  # returns: not wanted
    hidden = delivery.Rules(visible=lambda e, sub: True, payload=lambda e, sub: None)
    delivery.deliver(kb.db, run, event, rules=hidden, timeout=1)  # returns: payload withheld
    assert subscriptions.list_deliveries(kb.db, sub.id) == []  # nothing was POSTed
