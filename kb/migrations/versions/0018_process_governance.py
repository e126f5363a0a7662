"""process governance: the published revision readers see, published versions, approvals

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _keys() -> list[sa.Column]:
    """A row's own id and the process model it belongs to."""
    return [
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "document_id",
            sa.String(length=32),
            sa.ForeignKey("documents.id", ondelete="CASCADE"),
            nullable=False,
        ),
    ]


def upgrade() -> None:
    # plain ALTER TABLE, no batch: SQLite's batch mode copies `documents` and drops the old
    # table, which would cascade to every revision
    op.add_column("documents", sa.Column("published_revision", sa.Integer(), nullable=True))
    op.create_table(
        "process_versions",
        *_keys(),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("published_by", sa.String(length=120), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("document_id", "number"),
    )
    op.create_index("ix_process_versions_document_id", "process_versions", ["document_id"])
    op.create_table(
        "process_approvals",
        *_keys(),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("approvers", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_process_approvals_document_id", "process_approvals", ["document_id"])


def downgrade() -> None:
    op.drop_index("ix_process_approvals_document_id", "process_approvals")
    op.drop_table("process_approvals")
    op.drop_index("ix_process_versions_document_id", "process_versions")
    op.drop_table("process_versions")
    op.drop_column("documents", "published_revision")  # SQLite 3.35+: in place
