"""Onboarding paths: curated by curators, taken or assigned, progress, re-reading flags."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kb.accounts.viewer import Viewer
from kb.core.errors import Conflict, Forbidden, ValidationError
from kb.documents import services as documents
from kb.documents.transfer import import_tree
from kb.events.log.models import Event
from kb.paths import progress, services
from kb.paths.source import parse_path
from kb.paths.transfer import import_paths
from kb.readmodels.paths import HIDDEN_TITLE, assigned_people, my_paths, path_view

SOURCE = """---
title: Project administrator — your first two weeks
audience: project administrator
---

1. [Start here]({guide}) — 20 min
2. [RAID log]({term}) — 5 min
3. [PRINCE2](https://en.wikipedia.org/wiki/PRINCE2) — 10 min
"""


def viewer_of(user) -> Viewer:
    return Viewer.of(user)


@pytest.fixture
def world(kb, make_user):
    guide = documents.create_document(
        kb.db, "---\ntitle: Start here\n---\n\nWelcome.\n", actor="x", type_hint="guide"
    )
    term = documents.create_document(
        kb.db,
        "---\ntitle: RAID log\nstatus: published\n---\n\nA log.\n",
        actor="x",
        type_hint="term",
    )
    cora = viewer_of(make_user("cora", "curator"))
    nina = viewer_of(make_user("nina", "reader"))
    path = services.save_path(kb.db, cora, parse_path(SOURCE.format(guide=guide.id, term=term.id)))
    return {"path": path, "guide": guide, "term": term, "cora": cora, "nina": nina}


def event_types(kb) -> list[str]:
    with kb.db.read() as s:
        return [t.rsplit("kb.", 1)[1] for t in s.scalars(select(Event.type).order_by(Event.seq))]


def test_curators_make_paths_and_nobody_else(kb, world):
    path = world["path"]
    assert path.id == "LP-0001" and [s.minutes for s in path.steps] == [20, 5, 10]
    assert path.minutes == 35 and path.audience == "project administrator"
    with pytest.raises(Forbidden):
        services.save_path(
            kb.db, world["nina"], parse_path(SOURCE.format(guide="GD-0001", term="GD-0001"))
        )
    bad = SOURCE.format(guide="GD-0099", term=world["term"].id)
    with pytest.raises(ValidationError, match="Step 1 names GD-0099, which kb does not hold"):
        services.save_path(kb.db, world["cora"], parse_path(bad))
    with pytest.raises(ValidationError, match="Step 2 is not a step"):
        parse_path("---\ntitle: T\n---\n\n1. [A](GD-0001) — 5 min\n2. Read the wiki\n")
    with pytest.raises(ValidationError, match="https:// address"):
        parse_path("---\ntitle: T\n---\n\n1. [A](javascript:alert(1)) — 5 min\n")
    assert "path.created" in event_types(kb)


def test_a_joiner_takes_a_path_reads_it_and_completes_it(kb, world):
    path, nina = world["path"], world["nina"]
    progress.take(kb.db, nina, path.id)
    view = path_view(kb.db, nina, path.id)
    assert (view.done, view.total, view.next_step.step.id) == (0, 3, path.steps[0].id)
    progress.open_step(kb.db, nina, path.id, path.steps[0].id)
    progress.acknowledge(kb.db, nina, path.id, path.steps[0].id)
    view = path_view(kb.db, nina, path.id)
    assert view.steps[0].opened and view.steps[0].acknowledged and not view.completed
    assert view.next_step.step.id == path.steps[1].id and view.minutes_left == 15
    for step in path.steps[1:]:
        progress.acknowledge(kb.db, nina, path.id, step.id)
    view = path_view(kb.db, nina, path.id)
    assert view.completed and view.done == 3 and view.next_step is None
    assert event_types(kb)[-5:] == [
        "path.started",
        "path.step.acknowledged",
        "path.step.acknowledged",
        "path.step.acknowledged",
        "path.completed",
    ]


def test_a_changed_document_flags_its_step_for_re_reading(kb, world):
    path, nina, guide = world["path"], world["nina"], world["guide"]
    progress.acknowledge(kb.db, nina, path.id, path.steps[0].id)  # taking the path on the way
    documents.update_document(
        kb.db,
        guide.id,
        "---\ntitle: Start here\n---\n\nWelcome, again.\n",
        base_version=1,
        actor="x",
    )
    view = path_view(kb.db, nina, path.id)
    assert view.steps[0].reread and view.to_reread == [view.steps[0]] and view.done == 0
    assert view.next_step.step.id == path.steps[0].id  # continue: read it again
    progress.acknowledge(kb.db, nina, path.id, path.steps[0].id)
    assert not path_view(kb.db, nina, path.id).steps[0].reread


def test_curators_assign_and_see_completion_as_the_assigner(kb, world, make_user):
    path, cora, nina = world["path"], world["cora"], world["nina"]
    with pytest.raises(Forbidden):
        progress.assign(kb.db, nina, path.id, "cora")
    with pytest.raises(ValidationError, match="no active user 'nobody'"):
        progress.assign(kb.db, cora, path.id, "nobody")
    progress.assign(kb.db, cora, path.id, "nina")
    with pytest.raises(Conflict):
        progress.assign(kb.db, cora, path.id, "nina")
    for step in path.steps:
        progress.acknowledge(kb.db, nina, path.id, step.id)
    [(assigned_path, person)] = assigned_people(kb.db, cora)
    assert assigned_path.id == path.id and person.username == "nina"
    assert person.completed_at is not None and (person.done, person.total) == (3, 3)
    assert [p.username for p in path_view(kb.db, cora, path.id).people] == ["nina"]
    assert path_view(kb.db, nina, path.id).people == []  # not the assigner, not a curator
    assert my_paths(kb.db, nina)[0].enrolment.assigned_by == "cora"


def test_reordering_keeps_progress_and_retiring_takes_nobody_new(kb, world, make_user):
    path, cora, nina = world["path"], world["cora"], world["nina"]
    progress.acknowledge(kb.db, nina, path.id, path.steps[2].id)
    services.move_step(kb.db, cora, path.id, path.steps[2].id, -2)
    view = path_view(kb.db, nina, path.id)
    assert [s.step.minutes for s in view.steps] == [10, 20, 5] and view.steps[0].acknowledged
    services.retire_path(kb.db, cora, path.id)
    with pytest.raises(Conflict, match="retired"):
        progress.take(kb.db, viewer_of(make_user("otto")), path.id)
    assert services.list_paths(kb.db) == [] and len(services.list_paths(kb.db, retired=True)) == 1


def test_a_step_the_reader_may_not_read_shows_no_title(kb, world, make_user):
    secret = documents.create_document(
        kb.db,
        "---\ntitle: Finance close secrets\nvisibility: restricted\ngroups: [finance]\n---\n\nx\n",
        actor="x",
        type_hint="guide",
    )
    source = SOURCE.format(guide=secret.id, term=world["term"].id)
    path = services.save_path(kb.db, world["cora"], parse_path(source))
    outsider = path_view(kb.db, world["nina"], path.id).steps[0]
    assert outsider.title == HIDDEN_TITLE and outsider.hidden and outsider.doc_id is None
    insider = viewer_of(make_user("fin", groups=["finance"]))
    assert path_view(kb.db, insider, path.id).steps[0].title == "Start here"


def test_the_importer_reports_a_bad_path_file_and_imports_the_others(kb, world, tmp_path):
    good = f"---\nid: LP-0007\ntitle: Good\n---\n\n1. [Start]({world['guide'].id}) — 5 min\n"
    (tmp_path / "paths").mkdir()
    (tmp_path / "paths" / "LP-0007-good.md").write_text(good, encoding="utf-8")
    (tmp_path / "paths" / "LP-0008-bad.md").write_text(
        "---\nid: LP-0008\ntitle: Bad\n---\n\n1. [Gone](PM-0404) — 5 min\n", encoding="utf-8"
    )
    (tmp_path / "paths" / "no-id.md").write_text(good.replace("id: LP-0007\n", ""), "utf-8")
    report = import_paths(kb.db, tmp_path, actor="test")
    assert report.created == ["LP-0007"]
    assert sorted(report.rejected) == [
        ("paths/LP-0008-bad.md", "Step 1 names PM-0404, which kb does not hold."),
        ("paths/no-id.md", "A path file needs its `id` (LP-0001)."),
    ]
    assert import_tree(kb.db, tmp_path, actor="test").rejected == []  # not read as documents
    created = services.save_path(
        kb.db, world["cora"], parse_path(good.replace("id: LP-0007\n", ""))
    )
    assert created.id == "LP-0008"  # the counter moved past the imported id
