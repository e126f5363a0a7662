"""A process model's review cycle: the next review by calendar months (month ends, leap years),
health on the UTC day whatever the clock's offset, and "reviewed, no change" — who may record
it, and the record, revision, event, audit entry and closed task it writes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from kb.accounts import services as accounts
from kb.accounts.models import AuditEntry
from kb.accounts.viewer import Viewer
from kb.core.errors import Conflict, Forbidden, NotFound
from kb.documents import services as documents
from kb.documents.models import Document
from kb.events.log.models import Event
from kb.overdue.health import (
    AMBER,
    GREEN,
    RED,
    day_of_moment,
    next_review,
    overdue_period,
    review_health,
)
from kb.overdue.services import REVIEW_TASK
from kb.processes import review
from kb.readmodels.process_review import review_cycle
from kb.tasks import services as tasks

MODEL = (
    "---\nid: {id}\ntitle: Supplier onboarding\nstatus: {status}\nowner: {owner}\n"
    "custodian: {custodian}\nexpert: [Ines Expert, ines@example.org]\n"
    "review_period_months: {months}\nlast_reviewed: {last}\n{extra}---\n\n## Purpose\n\nOnboard.\n"
)


def model_source(**fields) -> str:
    values = dict(
        id="PM-0301",
        status="published",
        owner="olga",
        custodian="PMO",
        months=12,
        last="2026-01-31",
        extra="",
    )
    return MODEL.format(**(values | fields))


def doc_of(last: date | None, months: int | None = 12, status: str = "published") -> Document:
    return Document(
        id="PM-0001",
        type="process",
        title="x",
        status=status,
        last_reviewed=last,
        review_period_months=months,
    )


@pytest.mark.parametrize(
    ("last", "months", "due"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),  # not a leap year
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # a leap year
        (date(2028, 2, 29), 12, date(2029, 2, 28)),  # a leap day, a year on
        (date(2028, 2, 29), 48, date(2032, 2, 29)),  # and four years on
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2026, 10, 31), 1, date(2026, 11, 30)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),  # over the year's end
        (date(2026, 3, 31), None, date(2027, 3, 31)),  # no period: 12 months
    ],
)
def test_the_next_review_counts_calendar_months(last, months, due):
    assert next_review(doc_of(last, months)) == due


def test_health_is_green_amber_from_thirty_days_before_and_red_after_the_day():
    doc = doc_of(date(2028, 1, 31), 1)  # due 29 Feb 2028
    assert review_health(doc, date(2028, 1, 29)).level == GREEN  # 31 days before
    assert review_health(doc, date(2028, 1, 30)).level == AMBER  # 30 days before
    assert review_health(doc, date(2028, 2, 29)).level == AMBER  # the day itself
    red = review_health(doc, date(2028, 3, 1))
    assert (red.level, red.due) == (RED, date(2028, 2, 29))
    assert review_health(doc_of(None), date(2028, 3, 1)).level is None  # never reviewed
    assert review_health(doc_of(date(2020, 1, 1), status="retired"), date(2028, 3, 1)).level is None


def test_health_is_decided_on_the_utc_day_whatever_the_clock_offset():
    doc = doc_of(date(2027, 1, 31), 1)  # due 28 Feb 2027
    new_york = timezone(timedelta(hours=-5))
    auckland = timezone(timedelta(hours=13))
    # 23:30 on the 28th in New York is already 1 March in UTC: overdue
    late_evening = datetime(2027, 2, 28, 23, 30, tzinfo=new_york)
    assert day_of_moment(late_evening) == date(2027, 3, 1)
    assert review_health(doc, day_of_moment(late_evening)).level == RED
    # 09:00 on 1 March in Auckland is still 28 February in UTC: due today, not overdue
    morning = datetime(2027, 3, 1, 9, 0, tzinfo=auckland)
    assert review_health(doc, day_of_moment(morning)).level == AMBER


def test_each_period_a_model_stays_overdue_starts_a_calendar_period_on():
    last = date(2027, 1, 31)  # monthly: due 28 Feb, then 31 Mar, 30 Apr …
    assert overdue_period(last, 1, date(2027, 3, 1)) == date(2027, 2, 28)
    assert overdue_period(last, 1, date(2027, 3, 31)) == date(2027, 2, 28)
    assert overdue_period(last, 1, date(2027, 4, 1)) == date(2027, 3, 31)
    assert overdue_period(last, 1, date(2027, 5, 1)) == date(2027, 4, 30)
    assert overdue_period(date(2020, 2, 29), 12, date(2026, 12, 6)) == date(2026, 2, 28)
    assert overdue_period(date(2020, 2, 29), 12, date(2021, 3, 1)) == date(2021, 2, 28)


# --- "reviewed, no change" -----------------------------------------------------------------


@pytest.fixture
def people(kb):
    def make(username, role="reader", **kw):
        user = accounts.create_user(
            kb.db, username, password="correct horse battery", role=role, actor="t", **kw
        )
        return Viewer.of(user)

    return {
        "olga": make("olga"),  # the owner, by username, a reader
        "ines": make("ines", email="Ines@Example.org"),  # an expert, by e-mail address
        "ivan": make("ivan", display_name="Ines Expert"),  # an expert, by name
        "cora": make("cora", "curator"),  # the custodian PMO
        "carl": make("carl", "contributor"),  # none of them
    }


def test_the_owner_expert_custodian_and_curators_may_record_a_review_and_nobody_else(kb, people):
    documents.create_document(kb.db, model_source(), actor="t", type_hint="process")
    when = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)
    for name in ("olga", "ines", "ivan", "cora"):
        recorded = review.mark_reviewed(kb.db, "pm-0301", viewer=people[name], now=when)
        assert recorded.review.reviewed_by == name
    with pytest.raises(Forbidden, match="owner, expert or custodian"):
        review.mark_reviewed(kb.db, "PM-0301", viewer=people["carl"], now=when)
    read_only = Viewer.of(accounts.get_user(kb.db, "olga"), read_only=True)
    for nobody in (read_only, Viewer()):  # a read-only token, an anonymous visitor
        with pytest.raises(Forbidden):
            review.mark_reviewed(kb.db, "PM-0301", viewer=nobody, now=when)
    with pytest.raises(NotFound):
        review.mark_reviewed(kb.db, "PM-9999", viewer=people["cora"], now=when)


def test_a_custodian_named_by_username_may_record_it_and_unreadable_models_stay_hidden(kb, people):
    extra = "visibility: restricted\ngroups: [finance]\n"
    documents.create_document(
        kb.db,
        model_source(id="PM-0302", owner="olga", custodian="carl", extra=extra),
        actor="t",
        type_hint="process",
    )
    with pytest.raises(NotFound):  # the owner may not read it: it does not exist for her
        review.mark_reviewed(kb.db, "PM-0302", viewer=people["olga"])
    documents.create_document(
        kb.db, model_source(id="PM-0303", custodian="carl"), actor="t", type_hint="process"
    )
    assert review.mark_reviewed(kb.db, "PM-0303", viewer=people["carl"]).review.revision == 2
    documents.create_document(
        kb.db, model_source(id="PM-0304", status="retired"), actor="t", type_hint="process"
    )
    with pytest.raises(Conflict, match="retired"):
        review.mark_reviewed(kb.db, "PM-0304", viewer=people["cora"])


def test_a_review_writes_the_day_a_revision_an_event_an_audit_entry_and_closes_the_task(kb, people):
    documents.create_document(kb.db, model_source(months=1), actor="t", type_hint="process")
    with kb.db.write() as s:
        tasks.open_task(s, REVIEW_TASK, "processes/PM-0301", {"id": "PM-0301"})
    # 23:30 on 28 Feb 2028 in New York: 29 Feb 2028 in UTC, a leap day; next review 29 Mar
    when = datetime(2028, 2, 28, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    recorded = review.mark_reviewed(kb.db, "PM-0301", viewer=people["ines"], now=when)
    assert recorded.review.reviewed_on == date(2028, 2, 29)
    assert recorded.next_review == date(2028, 3, 29)

    doc = documents.get_document(kb.db, "PM-0301")
    revision = documents.get_revision(kb.db, "PM-0301")
    assert doc.last_reviewed == date(2028, 2, 29) and doc.version == 2
    assert "last_reviewed: 2028-02-29\n" in revision.markdown
    assert (revision.author, revision.message) == ("ines", "Reviewed, no change")
    with kb.db.read() as s:
        [event] = s.scalars(select(Event).where(Event.type == "org.pmo.kb.processmodel.reviewed"))
        entries = s.scalars(select(AuditEntry).where(AuditEntry.action == "processmodel.reviewed"))
        assert [(e.actor, e.target) for e in entries] == [("ines", "PM-0301")]
    assert event.subject == "processes/PM-0301"
    assert event.data["reviewed_by"] == "ines" and event.data["next_review"] == "2028-03-29"
    [task] = tasks.list_tasks(kb.db, kind=REVIEW_TASK, status="done")
    assert (task.done_by, task.note) == ("ines", "Reviewed, no change")

    # the same day again: recorded (who and when), but the front matter has nothing to change
    again = review.mark_reviewed(kb.db, "PM-0301", viewer=people["cora"], now=when)
    assert again.review.revision == 2 and review.last_review(kb.db, "PM-0301").reviewed_by == "cora"


def test_the_page_parts_say_health_last_review_and_who_may_record_one(kb, people):
    documents.create_document(
        kb.db, model_source(last="2027-01-31"), actor="t", type_hint="process"
    )
    doc = documents.get_document(kb.db, "PM-0301", with_revision=True)
    cycle = review_cycle(kb.db, doc, people["olga"], date(2028, 1, 15))
    assert (cycle.health.level, cycle.health.due) == (AMBER, date(2028, 1, 31))
    assert cycle.may_mark_reviewed and cycle.last_review is None and cycle.seen is None
    assert cycle.next_if_reviewed == date(2029, 1, 15)
    assert not review_cycle(kb.db, doc, people["carl"], date(2028, 1, 15)).may_mark_reviewed


def test_the_page_offers_it_on_a_published_model_once_a_day(kb, people):
    documents.create_document(kb.db, model_source(), actor="t", type_hint="process")
    documents.create_document(
        kb.db, model_source(id="PM-0305", status="in_review"), actor="t", type_hint="process"
    )
    day = date(2027, 1, 5)
    in_review = documents.get_document(kb.db, "PM-0305", with_revision=True)
    assert not review_cycle(kb.db, in_review, people["cora"], day).may_mark_reviewed
    when = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)
    review.mark_reviewed(kb.db, "PM-0301", viewer=people["ivan"], now=when)
    doc = documents.get_document(kb.db, "PM-0301", with_revision=True)
    today = review_cycle(kb.db, doc, people["cora"], day)
    assert today.reviewed_today and not today.may_mark_reviewed
    assert today.reviewer == "Ines Expert"  # ivan's display name
    tomorrow = review_cycle(kb.db, doc, people["cora"], day + timedelta(days=1))
    assert tomorrow.may_mark_reviewed and not tomorrow.reviewed_today
