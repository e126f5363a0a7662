"""Similar lessons (possible duplicates) and recurrence: a submitted problem lesson that matches
an actioned or verified lesson of another project reopens it, once."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kb.accounts.viewer import Viewer
from kb.documents import lifecycle, services
from kb.events.log.models import Event
from kb.projects import services as projects
from kb.projects.models import Project
from kb.recurrence import services as recurrence
from kb.recurrence.models import LessonRecurrence
from kb.recurrence.similarity import THRESHOLD, cosine, profile

LESSONS = Path(__file__).resolve().parents[2] / "content" / "lessons"
CURATOR = Viewer("cora", "curator")
#: the starter content's recurring pairs: (older, newer)
PAIRS = [("LL-2024-0001", "LL-2026-0019"), ("LL-2025-0005", "LL-2025-0012")]


@pytest.fixture(autouse=True)
def quiet_clock(kb):
    """No review sweeps to worry about: pin the worker's clock."""
    kb.worker.clock = lambda: datetime(2026, 10, 5, tzinfo=UTC)


def source(doc_id: str, **changes: str) -> str:
    [path] = LESSONS.glob(f"{doc_id}-*.md")
    text = path.read_text(encoding="utf-8")
    for key, value in changes.items():
        text, n = re.subn(rf"(?m)^{key}: .*$", f"{key}: {value}", text, count=1)
        assert n == 1, key
    return text


def starter_profiles() -> dict:
    out = {}
    for path in sorted(LESSONS.glob("*.md")):
        prepared = services.prepare(path.read_text(encoding="utf-8"), type_hint="lesson")
        cols = prepared.record.columns
        out[prepared.record.id] = (
            profile(cols["title"], cols.get("summary"), prepared.rendered.text),
            cols.get("polarity"),
        )
    return out


def test_starter_recurring_pairs_score_above_the_threshold_and_others_below():
    profiles = starter_profiles()
    for older, newer in PAIRS:
        assert cosine(profiles[older][0], profiles[newer][0]) >= THRESHOLD
    for a, b in itertools.combinations(profiles, 2):
        if (a, b) in PAIRS or "success" in (profiles[a][1], profiles[b][1]):
            continue
        assert cosine(profiles[a][0], profiles[b][0]) < THRESHOLD, (a, b)


def test_scores_are_between_0_and_1():
    a = profile("Vendor interface specification late", "", "The vendor was late.")
    assert cosine(a, a) == 1.0
    b = profile("Canteen menu feedback", "", "Lunch was cold.")
    assert cosine(a, b) == 0.0
    assert cosine(a, profile("", "", "")) == 0.0


def register_starter_projects(kb) -> None:
    """The starter lessons' projects, as the project tools registered them."""
    with kb.db.write() as s:
        for path in sorted((LESSONS.parent / "projects").glob("*.md")):
            fields = projects.parse_project(path.read_text(encoding="utf-8"))
            if s.get(Project, fields["key"]) is None:
                s.add(Project(**fields))


def create(kb, doc_id: str, **changes: str):
    register_starter_projects(kb)
    return services.create_document(
        kb.db, source(doc_id, **changes), actor="tester", type_hint="lesson", created_by="cleo"
    )


def submit(kb, doc_id: str) -> None:
    lifecycle.transition_lesson(kb.db, doc_id, "submitted", viewer=CURATOR)
    kb.projection.catch_up()
    kb.worker.run_pending()


def recurred_events(kb) -> list[Event]:
    with kb.db.read() as s:
        return list(s.scalars(select(Event).where(Event.type == "org.pmo.kb.lesson.recurred")))


def test_submitted_lesson_reopens_the_actioned_lesson_of_another_project(kb):
    older, newer = PAIRS[0]
    create(kb, older, status="actioned")
    create(kb, newer, status="draft")
    create(kb, "LL-2025-0003")  # unrelated, actioned in the file
    kb.projection.catch_up()
    submit(kb, newer)

    after = services.get_document(kb.db, older)
    assert after.status == "reopened"
    revision = services.get_revision(kb.db, older, viewer=CURATOR)
    assert revision.author == "kb" and newer in revision.message
    count, found = recurrence.recurrences(kb.db, older, CURATOR)
    assert count == 1
    assert [(r.direction, r.other.id) for r in found] == [("recurred_in", newer)]
    assert recurrence.recurrences(kb.db, newer, CURATOR)[1][0].direction == "recurrence_of"
    [event] = recurred_events(kb)
    assert event.subject == f"lessons/{older}"
    assert event.data["recurred_in"] == newer and event.data["recurrence_count"] == 1
    assert event.data["project"] == "ATLAS" and event.data["recurred_in_project"] == "HARBOUR"
    assert THRESHOLD <= event.data["score"] <= 1
    assert services.get_document(kb.db, "LL-2025-0003").status == "actioned"

    # the same event again (a redelivery) changes nothing more
    with kb.db.read() as s:
        submitted = s.scalars(
            select(Event).where(Event.type == "org.pmo.kb.lesson.submitted")
        ).one()
    handler = kb.registry.handlers["recurrence.on_submitted"]
    with kb.db.write() as s:
        handler.fn(s, submitted)
    kb.worker.run_pending()
    assert recurrence.recurrences(kb.db, older, CURATOR)[0] == 1
    assert len(recurred_events(kb)) == 1
    assert services.get_document(kb.db, older).version == after.version
    with kb.db.read() as s:
        assert s.scalar(select(func.count()).select_from(LessonRecurrence)) == 1


def test_no_recurrence_within_the_same_project(kb):
    older, newer = PAIRS[0]
    create(kb, older, status="verified")
    create(kb, newer, status="draft", project="ATLAS")
    kb.projection.catch_up()
    submit(kb, newer)
    assert services.get_document(kb.db, older).status == "verified"
    assert recurred_events(kb) == []


def test_no_recurrence_of_a_lesson_not_yet_actioned(kb):
    older, newer = PAIRS[1]
    create(kb, older, status="published")
    create(kb, newer, status="draft")
    kb.projection.catch_up()
    submit(kb, newer)
    assert services.get_document(kb.db, older).status == "published"
    assert recurrence.recurrences(kb.db, older, CURATOR)[0] == 0
    assert recurred_events(kb) == []


def test_similar_lessons_in_the_api_and_recurrence_fields(kb, login_as):
    older, newer = PAIRS[1]
    create(kb, older, status="verified")
    create(kb, newer, status="draft")
    create(kb, "LL-2025-0007")
    kb.projection.catch_up()
    submit(kb, newer)
    curator = login_as("curator", "cora")
    data = curator.get(f"/api/lessons/{newer}").json
    assert data["status"] == "submitted"
    assert [x["id"] for x in data["similar"]] == [older]
    assert data["similar"][0]["status"] == "reopened"
    assert data["similar"][0]["project"] == "ATLAS"
    assert THRESHOLD <= data["similar"][0]["score"] <= 1
    assert data["recurrence_count"] == 0
    assert [(r["direction"], r["id"]) for r in data["recurrences"]] == [("recurrence_of", older)]
    assert isinstance(data["related"], list)
    assert older in [r["id"] for r in data["related"]]
    old = curator.get(f"/api/lessons/{older}").json
    assert old["recurrence_count"] == 1
    assert [(r["direction"], r["id"]) for r in old["recurrences"]] == [("recurred_in", newer)]

    reader = login_as("reader", "rita")
    assert reader.get(f"/api/lessons/{newer}").json["similar"] == []  # author and curators


def test_restricted_lessons_are_never_similar_for_outsiders(kb, login_as):
    older, newer = PAIRS[0]
    register_starter_projects(kb)
    services.create_document(
        kb.db,
        source(older, status="published").replace(
            "---\n", "---\nvisibility: restricted\ngroups: [legal]\n", 1
        ),
        actor="tester",
        type_hint="lesson",
        created_by="lena",
    )
    create(kb, newer, status="submitted")
    kb.projection.catch_up()
    cleo = login_as("contributor", "cleo")  # the author, not in legal
    assert cleo.get(f"/api/lessons/{newer}").json["similar"] == []
    page = cleo.get(f"/lessons/{newer}").get_data(as_text=True)
    assert "Possible duplicates" not in page and "Is this the same as" not in page
    curator = login_as("curator", "cora")
    assert [x["id"] for x in curator.get(f"/api/lessons/{newer}").json["similar"]] == [older]
    assert "Is this the same as" in curator.get(f"/lessons/{newer}").get_data(as_text=True)
    legal = login_as("contributor", "cleo2", groups=["legal"])
    assert legal.get(f"/api/lessons/{newer}").json["similar"] == []  # not the author


def test_pages_show_similar_with_merge_and_recurrences(kb, login_as):
    older, newer = PAIRS[0]
    create(kb, older, status="actioned")
    create(kb, newer, status="draft")
    kb.projection.catch_up()
    submit(kb, newer)
    curator = login_as("curator", "cora")
    page = curator.get(f"/lessons/{newer}").get_data(as_text=True)
    assert f'Is this the same as <a href="/lessons/{older}">{older}</a>?' in page
    assert re.search(r"\d+ % similar", page)
    assert "Merge into this one" in page
    assert f'Recurrence of\n      <a href="/lessons/{older}">{older}</a>' in page
    old_page = curator.get(f"/lessons/{older}").get_data(as_text=True)
    assert f'Recurred in\n      <a href="/lessons/{newer}">{newer}</a>' in old_page
    assert "project HARBOUR" in old_page

    # the curator merges the new lesson into the older one from the page's button
    response = curator.post(
        f"/lessons/{newer}/transitions",
        data={
            "to": "merged",
            "merged_into": older,
            "version": services.get_document(kb.db, newer).version,
            "reason": "Same problem",
        },
    )
    assert response.status_code in (302, 303)
    merged = services.get_document(kb.db, newer)
    assert merged.status == "merged" and merged.extra["merged_into"] == older

    reader = login_as("reader", "rita")
    assert "Merge into this one" not in reader.get(f"/lessons/{newer}").get_data(as_text=True)


def test_a_middling_match_without_a_shared_tag_or_topic_is_no_recurrence(kb):
    older, newer = PAIRS[1]
    create(kb, older, status="actioned", tags="[cut-over]", topics="[technical]")
    create(kb, newer, status="draft", tags="[duplicates]", topics="[quality]")
    kb.projection.catch_up()
    submit(kb, newer)
    assert services.get_document(kb.db, older).status == "actioned"
    assert recurred_events(kb) == []
    # still shown as a possible duplicate
    similar = recurrence.find_similar(kb.db, kb.index, services.get_document(kb.db, newer), CURATOR)
    assert [x.doc.id for x in similar] == [older]
