"""Documents (lessons, process models, guides), their revisions and labels (topics, tags)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from kb.core.time import utcnow
from kb.db import Base, UTCDateTime


def document_column() -> Mapped[str]:
    """The column of a row that belongs to a document: its id, indexed; the row goes with it."""
    return mapped_column(String(32), ForeignKey("documents.id", ondelete="CASCADE"), index=True)


class Document(Base):
    """The current state of one document. Structured fields are columns so they can be
    filtered; the Markdown of every revision (the source of truth) is in DocumentRevision."""

    __tablename__ = "documents"
    # the list pages' sorts: a page of the newest or A to Z reads 20 rows, not all of a type
    __table_args__ = (
        Index("ix_documents_type_changed", "type", "changed_at", "updated_at"),
        Index("ix_documents_type_title", "type", "title"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    type: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    project_key: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("projects.key"), index=True
    )
    phase: Mapped[str | None] = mapped_column(String(32), index=True)
    polarity: Mapped[str | None] = mapped_column(String(16))
    priority: Mapped[str | None] = mapped_column(String(16))
    author: Mapped[str | None] = mapped_column(String(120))
    occurred_on: Mapped[date | None] = mapped_column(Date)
    # process models
    state: Mapped[str | None] = mapped_column(String(16))
    model_version: Mapped[str | None] = mapped_column(String(32))
    owner: Mapped[str | None] = mapped_column(String(120))
    custodian: Mapped[str | None] = mapped_column(String(120))
    review_period_months: Mapped[int | None] = mapped_column(Integer)
    last_reviewed: Mapped[date | None] = mapped_column(Date)
    #: the revision readers see while the next version is drafted and reviewed (set when a
    #: version is published or retired; None: the current revision, as for other kinds)
    published_revision: Mapped[int | None] = mapped_column(Integer)
    # guides
    reading_order: Mapped[int | None] = mapped_column(Integer)
    #: internal (every signed-in user) or restricted (its groups, its creator, curators)
    visibility: Mapped[str] = mapped_column(
        String(16), default="internal", server_default="internal"
    )
    #: username of who created it in kb (None: imported or made before accounts existed)
    created_by: Mapped[str | None] = mapped_column(String(40))
    #: relative path of the file this document was imported from when it had no id, so that
    #: importing the same tree again updates it instead of creating a duplicate
    origin: Mapped[str | None] = mapped_column(String(300), index=True)
    #: front matter keys kb does not model (kept, shown, exported)
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    #: number of the current revision; also the optimistic-locking version
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    #: when a person last changed it: their last save or status change in kb, or for an
    #: imported file its `updated:` front matter day; None: imported without one (the pages
    #: then say "Imported" with the import's date — see docs/format.md)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    labels: Mapped[list[DocumentLabel]] = relationship(
        back_populates="document", cascade="all, delete-orphan", lazy="selectin"
    )
    #: the revision numbered `version`: loaded when first read inside a session; a list that
    #: needs it loads it with the list (selectinload: one query), and a document read outside
    #: a session has it only when its loader asked (kb.documents.queries.WITH_REVISION)
    current_revision: Mapped[DocumentRevision | None] = relationship(
        primaryjoin=lambda: (
            (foreign(DocumentRevision.document_id) == Document.id)
            & (foreign(DocumentRevision.number) == Document.version)
        ),
        viewonly=True,
        uselist=False,
    )

    @property
    def topics(self) -> list[str]:
        return sorted(label.value for label in self.labels if label.kind == "topic")

    @property
    def tags(self) -> list[str]:
        return sorted(label.value for label in self.labels if label.kind == "tag")

    @property
    def groups(self) -> list[str]:
        return sorted(label.value for label in self.labels if label.kind == "group")

    @property
    def own_date(self) -> tuple[str, date | datetime]:
        """The date a reader should see, with its label: when a lesson occurred, when a
        process model was reviewed, when a person last changed it — or, for a file imported
        without a date of its own, the import, said as such (docs/format.md#dates)."""
        if self.type == "lesson" and self.occurred_on:
            return "Occurred", self.occurred_on
        if self.type == "process" and self.last_reviewed:
            return "Reviewed", self.last_reviewed
        if self.changed_at:
            return "Changed", self.changed_at
        return "Imported", self.updated_at

    @property
    def published_behind(self) -> bool:
        """A process model whose readers see its published version while the next one is
        drafted and reviewed (its status is the next version's)."""
        return self.published_revision is not None and self.published_revision != self.version

    @property
    def sort_date(self) -> date | None:
        return self.occurred_on or self.last_reviewed


class DocumentLabel(Base):
    __tablename__ = "document_labels"
    __table_args__ = (Index("ix_document_labels_kind_value", "kind", "value"),)

    document_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # "topic" | "tag"
    value: Mapped[str] = mapped_column(String(64), primary_key=True)

    document: Mapped[Document] = relationship(back_populates="labels")


class DocumentRevision(Base):
    """One saved version: the exact Markdown source, plus its rendering cached at save time."""

    __tablename__ = "document_revisions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = document_column()
    number: Mapped[int] = mapped_column(Integer)
    markdown: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(120))
    #: the change note every reader of this document may read: it never names another document
    message: Mapped[str] = mapped_column(String(300), default="")
    #: another document the change came from (a recurrence, a merge), and the note naming it,
    #: shown at read time only to who may read that document too (kb.documents.references)
    refers_to: Mapped[str | None] = mapped_column(String(32))
    named_message: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Counter(Base):
    """Named counters for ids (LL-2026 -> 42). Incremented with atomic UPDATE, never read-then-write."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
