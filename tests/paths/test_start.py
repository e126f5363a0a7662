"""The start page's read model: the lessons that matter most (recurred, applied in briefings,
on the topics of the reader's paths first), the processes the reader takes part in."""

from __future__ import annotations

from kb.accounts.viewer import Viewer
from kb.briefings.models import Briefing, BriefingItem
from kb.documents import services as documents
from kb.paths import progress, services
from kb.paths.source import parse_path
from kb.readmodels.start import important_lessons, processes_for, start_page
from kb.recurrence.models import LessonRecurrence


def test_important_lessons_recurred_then_applied_and_the_role_s_topics_first(
    kb, make_lesson, make_user
):
    plain = make_lesson("Plain lesson", topics="[cost]")
    recurred = make_lesson("Recurred lesson", topics="[cost]")
    applied = make_lesson("Applied lesson", topics="[risk]")
    secret = make_lesson(
        "Secret lesson", topics="[cost]", visibility="restricted", groups="[finance]"
    )
    with kb.db.write() as s:
        for later in (plain, applied, secret):
            s.add(LessonRecurrence(lesson_id=recurred.id, recurred_in_id=later.id, score=0.7))
        s.add(LessonRecurrence(lesson_id=secret.id, recurred_in_id=plain.id, score=0.7))
        s.add(LessonRecurrence(lesson_id=secret.id, recurred_in_id=applied.id, score=0.7))
        s.add(LessonRecurrence(lesson_id=secret.id, recurred_in_id=recurred.id, score=0.7))
        briefing = Briefing(project_key="ATLAS", trigger="started", source_event_seq=1)
        briefing.items = [
            BriefingItem(lesson_id=applied.id, rank=1, response="applies"),
            BriefingItem(lesson_id=plain.id, rank=2, response="not_applicable"),
        ]
        s.add(briefing)
    reader = Viewer.of(make_user("nina"))
    found = important_lessons(kb.db, reader, [])
    assert [(x.doc.id, x.recurrences, x.applied) for x in found] == [
        (recurred.id, 3, 0),
        (applied.id, 0, 1),
    ]  # the restricted one is not shown; a lesson answered "not applicable" does not count
    on_risk = important_lessons(kb.db, reader, ["risk"])
    assert [x.doc.id for x in on_risk] == [applied.id, recurred.id]

    cora = Viewer.of(make_user("cora", "curator"))
    source = f"---\ntitle: Risk first\n---\n\n1. [Risk]({applied.id}) — 5 min\n"
    path = services.save_path(kb.db, cora, parse_path(source))
    progress.take(kb.db, reader, path.id)
    page = start_page(kb.db, reader)
    assert [x.doc.id for x in page.important] == [applied.id, recurred.id]
    assert [v.path.id for v in page.paths] == [path.id] and page.to_take == []


def test_processes_the_reader_takes_part_in(kb, make_user):
    def model(title: str, extra: str, status: str = "published") -> str:
        source = f"---\ntitle: {title}\nstatus: {status}\n{extra}---\n\n## Purpose\n\nx\n"
        return documents.create_document(kb.db, source, actor="x", type_hint="process").id

    gate = model("Stage gate review", "roles: [Project Manager, PMO Analyst]\n")
    owned = model("Invoice approval", "owner: Nina New\n")
    model("Goods receipt", "roles: [Warehouse Clerk]\n")
    model("Closure, being drafted", "roles: [PMO Analyst]\n", status="draft")
    nina = Viewer(
        username="nina", role="reader", groups=frozenset({"pmo"}), display_name="Nina New"
    )
    found = [d.id for d in processes_for(kb.db, nina)]
    assert sorted(found) == sorted([gate, owned])
    assert processes_for(kb.db, Viewer()) == []
