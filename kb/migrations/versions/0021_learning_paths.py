"""learning paths: paths, their steps, who is on them and how far they got

Revision ID: 0021
Revises: 0017
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0019"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _owner(name: str, table: str, kind: sa.types.TypeEngine) -> sa.Column:
    """A reference to the row this one belongs to (deleted with it)."""
    return sa.Column(
        name, kind, sa.ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=False, index=True
    )


def upgrade() -> None:
    op.create_table(
        "paths",
        sa.Column("id", sa.String(length=16), primary_key=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("audience", sa.String(length=120), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        _when("created_at", False),
        _when("updated_at", False),
    )
    op.create_table(
        "path_steps",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _owner("path_id", "paths", sa.String(length=16)),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
    )
    op.create_table(
        "path_enrolments",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _owner("path_id", "paths", sa.String(length=16)),
        _owner("user_id", "users", sa.Integer()),
        sa.Column("assigned_by", sa.String(length=40), nullable=True, index=True),
        _when("started_at", False),
        _when("completed_at"),
        sa.UniqueConstraint("path_id", "user_id", name="uq_path_enrolments_person"),
    )
    op.create_table(
        "path_progress",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _owner("enrolment_id", "path_enrolments", sa.Integer()),
        _owner("step_id", "path_steps", sa.Integer()),
        _when("opened_at"),
        _when("acknowledged_at"),
        sa.Column("acknowledged_version", sa.Integer(), nullable=True),
        sa.UniqueConstraint("enrolment_id", "step_id", name="uq_path_progress_step"),
    )


def downgrade() -> None:
    for table in ("path_progress", "path_enrolments", "path_steps", "paths"):
        op.drop_table(table)
