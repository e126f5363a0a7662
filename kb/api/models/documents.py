"""Lessons, process models and guides: list items, details, revisions, what a client writes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import url_for
from pydantic import ConfigDict, Field, model_validator

from kb.api.models.actions import Action
from kb.api.models.common import Answer, Body, Day, Page, Paging, Timestamp, Version, repeated
from kb.api.models.process_reviews import HEALTH_NOTE, Health
from kb.api.models.processes import ProcessLink
from kb.api.models.recurrence import Recurrence, Related, Similar
from kb.core.attributes import alike
from kb.core.time import utcnow
from kb.documents.kinds import BY_NAME, NAMES
from kb.documents.lifecycle import TRANSITIONS
from kb.documents.models import Document, DocumentRevision
from kb.documents.references import MergedInto, visible_extra
from kb.overdue.health import review_health
from kb.params import FLAGS

LessonStatus = Literal[tuple(TRANSITIONS)]  # type: ignore[valid-type]


class Summary(Answer):
    id: str
    title: str
    summary: str | None
    status: str
    project: str | None
    phase: str | None
    topics: list[str]
    tags: list[str]
    version: int = Field(description="the revision number; send it back when you update")
    updated_at: Timestamp
    changed_at: Timestamp | None = Field(
        description="when a person last changed it (docs/format.md#dates); null: imported "
        "without an `updated:` day"
    )
    url: str = Field(description="this document in the API")

    @classmethod
    def common(cls, doc: Document) -> dict:
        names = "id type title summary status phase topics tags version updated_at changed_at"
        return alike(
            doc,
            names,
            project=doc.project_key,
            url=url_for(f"api.get_{doc.type}", doc_id=doc.id),
        )


class LessonSummary(Summary):
    type: Literal["lesson"]
    polarity: str | None
    priority: str | None
    occurred_on: Day | None
    author: str | None

    @classmethod
    def fields(cls, doc: Document) -> dict:
        return cls.common(doc) | alike(doc, "polarity priority occurred_on author")


class ProcessSummary(Summary):
    type: Literal["process"]
    state: str | None
    model_version: str | None = Field(description="the process model's own version")
    owner: str | None
    custodian: str | None
    review_period_months: int | None
    last_reviewed: Day | None
    next_review: Day | None = Field(description="`last_reviewed` + `review_period_months`")
    health: Health | None = Field(description=HEALTH_NOTE)

    @classmethod
    def fields(cls, doc: Document) -> dict:
        health = review_health(doc, utcnow().date())
        names = "state model_version owner custodian review_period_months last_reviewed"
        return (
            cls.common(doc) | alike(doc, names) | dict(next_review=health.due, health=health.level)
        )


class GuideSummary(Summary):
    type: Literal["guide"]
    order: int | None = Field(description="reading order")

    @classmethod
    def fields(cls, doc: Document) -> dict:
        return cls.common(doc) | dict(order=doc.reading_order)


class TermSummary(Summary):
    type: Literal["term"]
    aliases: list[str] = Field(description="other names of the term")
    related: list[str] = Field(description="related terms, as written")

    @classmethod
    def fields(cls, doc: Document) -> dict:
        extra = doc.extra or {}
        return cls.common(doc) | dict(
            aliases=extra.get("aliases", []), related=extra.get("related", [])
        )


class _Detail(Answer):
    created_at: Timestamp
    markdown: str = Field(description="the source: YAML front matter and Markdown body")
    html: str = Field(
        description="the body rendered and sanitised; GET links the first use of each "
        "glossary term you may read to its entry"
    )
    extra: dict[str, Any] = Field(description="front matter kb has no field for")
    page: str = Field(description="this document's page")

    @classmethod
    def of(cls, doc: Document, revision: DocumentRevision, merged: MergedInto | None = None):  # noqa: ANN206
        """`merged`: where a merged lesson went, as the viewer may know it."""
        out = cls.fields(doc) | dict(  # type: ignore[attr-defined]
            extra=visible_extra(doc, merged),
            created_at=doc.created_at,
            markdown=revision.markdown,
            html=revision.html,
            page=url_for("web.document", folder=BY_NAME[doc.type].folder, doc_id=doc.id),
        )
        if merged is not None:
            out.update(merged_into=merged.id, merged_into_note=merged.note)
        return cls(**out)


class LessonDetail(LessonSummary, _Detail):
    merged_into: str | None = Field(
        None,
        description="a merged lesson only: the lesson it was merged into, null when you "
        "may not read it",
    )
    merged_into_note: str | None = Field(
        None,
        description='a merged lesson only: "Merged into LL-…" or "Merged into a lesson '
        'you may not read"',
    )
    transitions: list[LessonStatus] = Field(
        default_factory=list,
        description="the statuses you may move it to now (GET and transitions only)",
    )
    actions: list[Action] = Field(default_factory=list, description="its actions (GET only)")
    similar: list[Similar] = Field(
        default_factory=list,
        description="GET, for its author and curators: possible duplicates, best first",
    )
    recurrence_count: int = Field(
        0,
        description="GET: how many times its problem recurred in a later lesson of another project",
    )
    recurrences: list[Recurrence] = Field(default_factory=list, description="GET: both ways")
    related: list[Related] = Field(default_factory=list, description="GET: as on the page")
    process_links: list[ProcessLink] = Field(
        default_factory=list,
        description="GET: the process models its actions target or that cite it (`addresses`)",
    )


class ProcessDetail(ProcessSummary, _Detail):
    lesson_links: list[ProcessLink] = Field(
        default_factory=list,
        description="GET: the lessons it cites (`addresses`) or whose actions target it",
    )


class GuideDetail(GuideSummary, _Detail):
    pass


class TermDetail(TermSummary, _Detail):
    pass


AnySummary = Annotated[
    LessonSummary | ProcessSummary | GuideSummary | TermSummary, Field(discriminator="type")
]
SUMMARIES = {
    "lesson": LessonSummary,
    "process": ProcessSummary,
    "guide": GuideSummary,
    "term": TermSummary,
}
DETAILS = {
    "lesson": LessonDetail,
    "process": ProcessDetail,
    "guide": GuideDetail,
    "term": TermDetail,
}


def summary_of(doc: Document) -> Summary:
    model = SUMMARIES[doc.type]
    return model(**model.fields(doc))


class DocumentList(Page):
    items: list[AnySummary]


class Filters(Paging):
    """The filters lists and search share (repeat one for "any of")."""

    topic: list[str] = repeated("controlled topic, e.g. procurement (repeat: any matches)")
    phase: list[str] = repeated("project phase, e.g. build")
    project: list[str] = repeated("project key, e.g. ATLAS")
    tag: list[str] = repeated("tag, e.g. vendor")
    status: list[str] = repeated("status, e.g. published")
    polarity: list[str] = repeated("problem or success (lessons)")


class ListQuery(Filters):
    sort: Literal["updated", "title", "id", "order"] = "updated"
    overdue: Literal[tuple(FLAGS)] = Field(  # type: ignore[valid-type]
        "0",
        description="1: only lessons with an overdue action, or process models past their "
        "review date (ignored for guides)",
    )
    health: Health | None = Field(
        None,
        description="process models only: those of this review health (red: overdue; amber: "
        "due within 30 days; green: later)",
    )


class DocumentWrite(Body):
    """Either `markdown` (front matter + body, see docs/format.md) or the fields with `body`.
    Updates also need `version` (or an If-Match header). What the front matter and the fields
    may hold is checked as docs/format.md says: a 400 names the field."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"anyOf": [{"required": ["markdown"]}, {"required": ["title"]}]},
    )
    markdown: str | None = None
    body: str | None = Field(None, description="the Markdown body, with the fields")
    title: str | None = Field(None, min_length=1, max_length=200, pattern=r"\S")
    version: Version | None = Field(None, description="the version you edited (updates)")
    message: str = Field("", max_length=300, description="the change note")

    @model_validator(mode="after")
    def _markdown_or_title(self):  # noqa: ANN202
        if self.markdown is None and self.title is None:
            raise ValueError("Send `markdown` (front matter and body) or the fields with `title`.")
        return self


class PreviewWrite(DocumentWrite):
    type: Literal[NAMES] = Field("lesson", description="which fields")  # type: ignore[valid-type]


class Preview(Answer):
    html: str
    title: str | None


class Transition(Body):
    to: LessonStatus
    reason: str | None = Field(None, max_length=2000, description="why (required by some)")
    merged_into: str | None = Field(None, description="the lesson this one is merged into")
    version: Version | None = Field(None, description="the version you saw; 409 if it changed")


class Revision(Answer):
    number: int
    author: str | None
    message: str = Field(
        description="the change note; one naming another document names it "
        "only to who may read that document"
    )
    created_at: Timestamp
    markdown: str = Field(None, description="one revision only")

    @classmethod
    def of(cls, rev: DocumentRevision, *, with_markdown: bool = False) -> Revision:
        out = cls(
            number=rev.number, author=rev.author, message=rev.message, created_at=rev.created_at
        )
        if with_markdown:
            out.markdown = rev.markdown
        return out


class RevisionList(Answer):
    revisions: list[Revision]
