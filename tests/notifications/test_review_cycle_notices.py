"""The sweep tells a process model's owner AND custodian once per review period it stays
overdue (inbox and e-mail), a second sweep tells nobody, and a model in the PMO's custody that
goes red gives the PMO one task — with an injected clock, across a month end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from kb.accounts.viewer import Viewer
from kb.documents import services as documents
from kb.overdue import services as overdue
from kb.overdue.services import REVIEW_TASK
from kb.processes import review
from kb.tasks import services as tasks

from .conftest import drain
from .test_overdue_notices import events, inbox

MODEL = (
    "---\nid: {id}\ntitle: Goods receipt\nstatus: published\nowner: {owner}\n"
    "custodian: {custodian}\nreview_period_months: 1\nlast_reviewed: 2027-01-31\n---\n\nSteps.\n"
)
NEW_YORK = timezone(timedelta(hours=-5))


def told(kb) -> list[tuple[str, str]]:
    return sorted((n.username, n.link) for n in inbox(kb, "processmodel.review_due"))


def test_owner_and_custodian_are_told_once_per_period_and_the_pmo_gets_one_task(
    kb, person, mailbox
):
    olga = person("olga", "reader", email="olga@example.org")
    person("cora", "curator", email="cora@example.org")
    person("carl", "contributor", email="carl@example.org")
    for doc_id, owner, custodian in (
        ("PM-0401", "olga", "PMO"),  # owner by username, the PMO keeps it
        ("PM-0402", "Head of Goods-in", "carl"),  # an owner kb cannot tell, a custodian it can
    ):
        documents.create_document(
            kb.db,
            MODEL.format(id=doc_id, owner=owner, custodian=custodian),
            actor="x",
            type_hint="process",
        )
    drain(kb)  # the worker sweeps at today's date: both are due on 28 Feb 2027, not yet late

    # 23:30 on 28 February in New York is 1 March in UTC: both overdue, each told once
    first = datetime(2027, 2, 28, 23, 30, tzinfo=NEW_YORK)
    assert overdue.sweep(kb.db, first - timedelta(hours=5)) == 0  # 23:30 UTC: due today
    assert overdue.sweep(kb.db, first) == 2
    assert overdue.sweep(kb.db, first) == 0
    assert overdue.sweep(kb.db, datetime(2027, 3, 31, 12, tzinfo=UTC)) == 0  # same period
    drain(kb)
    assert told(kb) == [
        ("carl", "/processes/PM-0402"),
        ("cora", "/processes/PM-0401"),
        ("olga", "/processes/PM-0401"),
    ]
    [note] = [n for n in inbox(kb, "processmodel.review_due") if n.username == "olga"]
    assert note.title == "Review overdue since 28 Feb 2027: PM-0401 Goods receipt"
    assert "Reviewed, no change" in note.body and "custodian: PMO" in note.body
    for address in ("olga@example.org", "cora@example.org", "carl@example.org"):
        assert len([m for m in mailbox.to(address) if "Review overdue" in m["Subject"]]) == 1
    [task] = tasks.list_tasks(kb.db, kind=REVIEW_TASK)  # the PMO's model only
    assert task.subject == "processes/PM-0401" and task.details["due_on"] == "2027-02-28"

    # still overdue a period later (31 March + 1 day): told once more, no second task
    assert overdue.sweep(kb.db, datetime(2027, 4, 1, 0, 30, tzinfo=UTC)) == 2
    assert overdue.sweep(kb.db, datetime(2027, 4, 1, 0, 30, tzinfo=UTC)) == 0
    drain(kb)
    due = [e.data for e in events(kb, "processmodel.review_due") if e.data["id"] == "PM-0401"]
    assert [(d["due_on"], d["period_start"]) for d in due] == [
        ("2027-02-28", "2027-02-28"),
        ("2027-02-28", "2027-03-31"),
    ]
    assert len(inbox(kb, "processmodel.review_due")) == 6
    assert len(tasks.list_tasks(kb.db, kind=REVIEW_TASK, status=None)) == 1

    # the owner records "reviewed, no change": the task is done; red again later, a new task
    review.mark_reviewed(
        kb.db, "PM-0401", viewer=Viewer.of(olga), now=datetime(2027, 4, 2, tzinfo=UTC)
    )
    assert tasks.list_tasks(kb.db, kind=REVIEW_TASK) == []
    assert overdue.sweep(kb.db, datetime(2027, 4, 20, tzinfo=UTC)) == 0  # PM-0401 green
    assert overdue.sweep(kb.db, datetime(2027, 5, 3, tzinfo=UTC)) == 2  # due 2 May; PM-0402
    [again] = tasks.list_tasks(kb.db, kind=REVIEW_TASK)
    assert again.details["due_on"] == "2027-05-02"
    drain(kb)
