"""review lessons

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _reviews_without_unique() -> sa.Table:
    """The reviews table as 0004 made it, minus its unnamed UNIQUE (project_key): SQLite's
    batch mode rebuilds the table from this (it cannot name the reflected constraint)."""
    return sa.Table(
        "reviews",
        sa.MetaData(),
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_key", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("facilitator", sa.String(length=254), nullable=True),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("closure_type", sa.String(length=16), nullable=True),
        sa.Column("outcome_summary", sa.Text(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.String(length=120), nullable=True),
        sa.Column("source_event_seq", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def _drop_project_unique() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(
            "reviews", recreate="always", copy_from=_reviews_without_unique()
        ):
            pass
    else:
        op.drop_constraint("reviews_project_key_key", "reviews", type_="unique")


def upgrade() -> None:
    _drop_project_unique()
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("origin", sa.String(length=220), nullable=False, server_default="closure")
        )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.alter_column("origin", server_default=None)
        batch_op.create_unique_constraint("uq_reviews_project_origin", ["project_key", "origin"])

    op.create_table(
        "review_lessons",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("lesson_id", sa.String(length=32), nullable=False),
        sa.Column("impact", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("audit_id", sa.String(length=200), nullable=True),
        sa.Column("finding_id", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["lesson_id"], ["documents.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["review_id"], ["reviews.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("audit_id", "finding_id", name="uq_review_lessons_finding"),
        sa.UniqueConstraint("review_id", "lesson_id", name="uq_review_lessons_review_lesson"),
    )
    with op.batch_alter_table("review_lessons", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_lessons_lesson_id"), ["lesson_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_review_lessons_review_id"), ["review_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("review_lessons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_lessons_review_id"))
        batch_op.drop_index(batch_op.f("ix_review_lessons_lesson_id"))
    op.drop_table("review_lessons")
    # audit reviews go: the project key is unique again
    op.execute("DELETE FROM reviews WHERE origin <> 'closure'")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_constraint("uq_reviews_project_origin", type_="unique")
        batch_op.drop_column("origin")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_unique_constraint("reviews_project_key_key", ["project_key"])
