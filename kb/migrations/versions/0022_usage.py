"""usage: the search log (query, result count, time) and page views per document per day

Revision ID: 0022
Revises: 0017
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("query", sa.String(length=500), nullable=False),
        sa.Column("results", sa.Integer(), nullable=False),
        sa.Column("searched_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_search_log_searched_at", "search_log", ["searched_at"])
    op.create_table(
        "page_views",
        sa.Column("document_id", sa.String(length=32), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("views", sa.Integer(), nullable=False),
    )
    op.create_index("ix_page_views_day", "page_views", ["day"])


def downgrade() -> None:
    op.drop_table("page_views")
    op.drop_table("search_log")
