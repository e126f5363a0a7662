"""The search answer and projects."""

from __future__ import annotations

from typing import Literal, get_type_hints

from pydantic import Field, create_model

from kb.api.models.common import Answer, Day, Page, Timestamp, Whole
from kb.api.models.documents import Filters, LessonSummary, ProcessSummary
from kb.core.attributes import alike
from kb.documents.kinds import NAMES
from kb.params import VALUES_PER_PARAM
from kb.search import SearchResults, records

Kind = Literal[NAMES]  # type: ignore[valid-type]


class SearchQuery(Filters):
    q: str = Field(
        "",
        max_length=500,
        description=(
            'Words, "phrases", AND/OR/NOT, parentheses, a trailing wildcard (plan*), fields title:, '
            "tag:, topic:, project:, phase:, type:, status:, author:."
        ),
    )
    type: list[Kind] = Field(default_factory=list, max_length=VALUES_PER_PARAM)
    sort: Literal["relevance", "date"] | None = Field(
        None, description="default: relevance with words, date without"
    )
    per_page: int | None = Field(None, ge=1, le=100, description="default KB_PER_PAGE")


#: a hit as kb.search finds it: its fields in their order, the snippet described and the date
#: written with its offset
_HIT_FIELDS = {name: (hint, ...) for name, hint in get_type_hints(records.Hit).items()} | {
    "snippet": (str, Field(description="safe HTML with <mark> around the matches")),
    "date": (Timestamp, ...),
}
Hit = create_model("Hit", __base__=Whole, **_HIT_FIELDS)


class FacetValue(Whole):
    value: str
    count: int


class SearchAnswer(Page):
    query: str
    sort: str
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    suggestion: str | None = Field(description="a spelling that finds more, if any")

    @classmethod
    def of(cls, results: SearchResults) -> SearchAnswer:
        return cls(
            **alike(results, "query total page per_page pages sort suggestion"),
            hits=[
                Hit.model_validate(h).model_copy(update={"score": round(h.score, 4)})
                for h in results.hits
            ],
            facets={
                k: [FacetValue(value=v, count=n) for v, n in vs] for k, vs in results.facets.items()
            },
        )


class Project(Answer):
    key: str
    name: str
    status: str
    portfolio: str | None
    manager: str | None
    started_on: Day | None
    closed_on: Day | None
    description: str

    @classmethod
    def fields(cls, project) -> dict:  # noqa: ANN001
        return {name: getattr(project, name) for name in Project.model_fields}


class ProjectCounted(Project):
    lessons: int = Field(description="lessons you may read")
    processes: int = Field(description="process models you may read")


class ProjectList(Answer):
    projects: list[ProjectCounted]


class ProjectDetail(Project):
    lessons: list[LessonSummary]
    processes: list[ProcessSummary]
