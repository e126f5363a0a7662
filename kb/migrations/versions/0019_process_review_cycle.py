"""process review cycle: "reviewed, no change" records and each user's last look at a model

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _document_id(**flags) -> sa.Column:
    """The process model a row is about (its rows go with it)."""
    return sa.Column(
        "document_id",
        sa.String(length=32),
        sa.ForeignKey("documents.id", ondelete="CASCADE"),
        nullable=False,
        **flags,
    )


def upgrade() -> None:
    op.create_table(
        "process_reviews",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _document_id(),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("reviewed_by", sa.String(length=40), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
    )
    op.create_index("ix_process_reviews_document_id", "process_reviews", ["document_id"])
    op.create_table(
        "process_views",
        sa.Column("username", sa.String(length=40), primary_key=True),
        _document_id(primary_key=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=32), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("process_views")
    op.drop_index("ix_process_reviews_document_id", table_name="process_reviews")
    op.drop_table("process_reviews")
