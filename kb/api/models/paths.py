"""Onboarding paths (kb.paths): what `GET /api/paths` and `/api/paths/<id>` answer, what
curators send to write one, and how a person records their progress."""

from __future__ import annotations

from typing import Literal

from flask import url_for
from pydantic import ConfigDict, Field

from kb.api.models.common import Answer, Body, Query, Timestamp
from kb.core.attributes import alike
from kb.documents.kinds import BY_NAME
from kb.params import FLAGS
from kb.paths.source import MAX_MINUTES, MAX_STEPS
from kb.readmodels.paths import PathView, Person, StepView

StepKind = Literal["lesson", "process", "guide", "term", "link", "hidden"]


def _page(doc_type: str, doc_id: str) -> str:
    return url_for("web.document", folder=BY_NAME[doc_type].folder, doc_id=doc_id)


class PathStep(Answer):
    id: int = Field(description="the step's id: it keeps it when the path is reordered")
    position: int
    title: str = Field(description='"A document you may not read" for one you may not read')
    kind: StepKind = Field(description="what it points to; `hidden`: a document you may not read")
    target: str | None = Field(description="the document's id or the address; null when hidden")
    page: str | None = Field(description="the page to open; null when hidden")
    minutes: int = Field(description="the estimated reading time")
    opened: bool
    acknowledged: bool = Field(description='you said "I\'ve read this"')
    reread: bool = Field(description="acknowledged, but its document changed since")

    @classmethod
    def of(cls, item: StepView) -> PathStep:
        kind = "link" if item.link else item.doc_type or "hidden"
        return cls(
            id=item.step.id,
            position=item.step.position,
            title=item.title,
            kind=kind,
            target=item.link or item.doc_id,
            page=item.link or (_page(item.doc_type, item.doc_id) if item.doc_id else None),
            minutes=item.step.minutes,
            opened=item.opened,
            acknowledged=item.acknowledged,
            reread=item.reread,
        )


class PathProgress(Answer):
    """Your progress on the path."""

    started_at: Timestamp
    assigned_by: str | None = Field(description="who assigned it to you; null: you took it")
    completed_at: Timestamp | None
    done: int = Field(description="steps read (and not changed since)")
    total: int
    minutes_left: int
    next_step: int | None = Field(description="where to continue: a step id; null when done")
    to_reread: list[int] = Field(description="steps whose document changed since you read it")


class PersonProgress(Answer):
    username: str
    display_name: str
    assigned_by: str | None
    started_at: Timestamp
    completed_at: Timestamp | None
    done: int
    total: int

    @classmethod
    def of(cls, person: Person) -> PersonProgress:
        return cls(**{name: getattr(person, name) for name in cls.model_fields})


class PathSummary(Answer):
    id: str
    title: str
    audience: str
    summary: str
    status: Literal["active", "retired"]
    step_count: int
    minutes: int = Field(description="the estimated minutes of all its steps")
    page: str

    @classmethod
    def fields(cls, path) -> dict:  # noqa: ANN001
        return alike(
            path,
            "id title audience summary status minutes",
            step_count=len(path.steps),
            page=url_for("web.path_page", path_id=path.id),
        )


class PathDetail(PathSummary):
    steps: list[PathStep]
    progress: PathProgress | None = Field(description="yours; null when you are not on the path")
    people: list[PersonProgress] = Field(
        description="curators: everyone on the path; others: those they assigned it to"
    )

    @classmethod
    def of(cls, view: PathView) -> PathDetail:
        mine = view.enrolment
        progress = None
        if mine is not None:
            progress = PathProgress(
                started_at=mine.started_at,
                assigned_by=mine.assigned_by,
                completed_at=mine.completed_at,
                done=view.done,
                total=view.total,
                minutes_left=view.minutes_left,
                next_step=view.next_step.step.id if view.next_step else None,
                to_reread=[s.step.id for s in view.to_reread],
            )
        return cls(
            **PathSummary.fields(view.path),
            steps=[PathStep.of(s) for s in view.steps],
            progress=progress,
            people=[PersonProgress.of(p) for p in view.people],
        )


class PathList(Answer):
    paths: list[PathSummary]


class MyPaths(Answer):
    paths: list[PathDetail] = Field(description="your paths, unfinished first")


class PathQuery(Query):
    retired: Literal[tuple(FLAGS)] = Field(  # type: ignore[valid-type]
        "0", description="1: retired paths too (curators)"
    )


class StepWrite(Body):
    title: str = Field(min_length=1, max_length=200)
    target: str = Field(
        min_length=1, max_length=500, description="a document id (GD-0001) or an https address"
    )
    minutes: int = Field(ge=1, le=MAX_MINUTES)


class PathWrite(Body):
    """Either `markdown` (docs/format.md#paths) or the fields with `steps` in order."""

    model_config = ConfigDict(
        strict=True,
        json_schema_extra={"anyOf": [{"required": ["markdown"]}, {"required": ["title"]}]},
    )

    markdown: str | None = None
    title: str | None = Field(None, min_length=1, max_length=200, pattern=r"\S")
    audience: str = Field("", max_length=120)
    summary: str = Field("", max_length=1000)
    status: Literal["active", "retired"] = "active"
    steps: list[StepWrite] = Field(default_factory=list, max_length=MAX_STEPS)


class Enrol(Body):
    username: str | None = Field(
        None, max_length=40, description="whom to assign it to (curators); absent: take it yourself"
    )
