"""kb's own events as classes: an emitter cannot write a wrong key, a stored event parses back
into its class, and docs/events.md says what the classes say."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from kb.cli import main
from kb.events import kinds
from kb.events.kinds import catalogue
from kb.events.kinds.documents import LessonPublished, LessonRejected, ProcessModelUpdated
from kb.events.kinds.examples import EXAMPLES, example, example_data
from kb.events.kinds.processes import ProcessModelChanged, TaskCompleted

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events.md"
CLASSES = [cls for classes in kinds.KINDS.values() for cls in classes]


def test_every_type_has_a_class_with_a_subject_and_a_documented_example():
    assert len(CLASSES) == 53 and len(kinds.KINDS) == 52  # processmodel.updated: two classes
    for cls in CLASSES:
        event = example(cls)
        subjects = {
            "lessons",
            "processes",
            "guides",
            "glossary",
            "paths",
            "projects",
            "reviews",
            "subscriptions",
        }
        assert event.subject.split("/")[0] in subjects, cls
        assert kinds.parse(event.event_type, event.data()) == event
        Draft202012Validator(catalogue.schema(cls)).validate(event.data())
    assert set(EXAMPLES) <= {c for cls in CLASSES for c in cls.__mro__}


def test_an_emitter_cannot_write_a_wrong_or_missing_key():
    data = example_data(LessonPublished)
    with pytest.raises(ValidationError, match="publishd"):
        LessonPublished.model_validate({**data, "publishd": True})
    with pytest.raises(ValidationError, match="title"):
        LessonPublished.model_validate({k: v for k, v in data.items() if k != "title"})
    with pytest.raises(ValidationError, match="version"):
        LessonPublished.model_validate({**data, "version": "three"})
    with pytest.raises(ValidationError, match="moves a lesson to published, not rejected"):
        LessonPublished.model_validate({**data, "status": "rejected", "to": "rejected"})


def test_fields_about_another_lesson_are_present_only_when_there_is_one():
    plain = example(LessonRejected).data()
    assert {"merged_into", "refers_to", "public_reason"}.isdisjoint(plain)
    named = example(LessonRejected, refers_to="LL-2025-0003", public_reason=None).data()
    assert named["refers_to"] == "LL-2025-0003" and named["public_reason"] is None
    assert "merged_into" not in named and named["from"] == "in_review"


def test_stored_events_find_their_class():
    saved = example(ProcessModelUpdated).data()
    changed = example(ProcessModelChanged).data()
    assert type(kinds.parse("org.pmo.kb.processmodel.updated", saved)) is ProcessModelUpdated
    assert type(kinds.parse("org.pmo.kb.processmodel.updated", changed)) is ProcessModelChanged
    # an older row with a field kb no longer writes still parses
    older = kinds.parse("org.pmo.kb.lesson.published", {**example(LessonPublished).data(), "x": 1})
    assert isinstance(older, LessonPublished)
    with pytest.raises(KeyError):
        kinds.parse("org.pmo.kb.lesson.teleported", {})


def test_a_task_event_is_about_the_tasks_document():
    assert example(TaskCompleted).subject == "lessons/LL-2025-0007"
    custody = example(TaskCompleted, kind="confirm_bau_owner", id="PM-0007")
    assert custody.subject == "processes/PM-0007"
    assert custody.data()["done_at"] == "2025-09-15T10:02:00+00:00"  # as stored before


def test_docs_events_md_is_generated_from_the_classes():
    text = DOCS.read_text(encoding="utf-8")
    assert catalogue.updated(text) == text, "docs/events.md is out of date: run `kb docs events`"
    for cls in CLASSES:
        assert f"[`{cls.full_type()}`]" in text
    assert "### `org.pmo.project.closed`" in text  # the inbound part is kept


def test_the_docs_command_rewrites_only_the_generated_part(tmp_path):
    stale = tmp_path / "events.md"
    text = DOCS.read_text(encoding="utf-8")
    stale.write_text(text.replace("A lesson was published", "A lesson went out"), encoding="utf-8")
    runner = CliRunner()
    checked = runner.invoke(main, ["docs", "events", "--file", str(stale), "--check"])
    assert checked.exit_code == 1 and "out of date" in checked.output
    written = runner.invoke(main, ["docs", "events", "--file", str(stale)])
    assert written.exit_code == 0 and stale.read_text(encoding="utf-8") == text
    again = runner.invoke(main, ["docs", "events", "--file", str(stale), "--check"])
    assert again.exit_code == 0 and "up to date" in again.output
    missing = runner.invoke(main, ["docs", "events", "--file", str(tmp_path / "none.md")])
    assert missing.exit_code == 1 and "does not exist" in missing.output
