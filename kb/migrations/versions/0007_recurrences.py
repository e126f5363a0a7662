"""recurrences

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lesson_recurrences",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lesson_id", sa.String(length=32), nullable=False),
        sa.Column("recurred_in_id", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(["lesson_id"], ["documents.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recurred_in_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("lesson_id", "recurred_in_id", name="uq_lesson_recurrences_pair"),
    )
    with op.batch_alter_table("lesson_recurrences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lesson_recurrences_lesson_id"), ["lesson_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_lesson_recurrences_recurred_in_id"), ["recurred_in_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("lesson_recurrences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lesson_recurrences_recurred_in_id"))
        batch_op.drop_index(batch_op.f("ix_lesson_recurrences_lesson_id"))
    op.drop_table("lesson_recurrences")
