"""revision references: a change note naming another document is shown only to its readers

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

#: change notes written before this migration that name another lesson, and what every
#: reader of the revised lesson may read instead (kb.documents.references words them alike)
_NAMING = (
    (
        re.compile(r"Reopened: The problem recurred in (LL-\d{4}-\d{4,}) \("),
        "Reopened: The problem recurred in a lesson you may not read",
    ),
    (re.compile(r"Merged into ([A-Z]{2}-[0-9-]+)(?::|$)"), "Merged into a lesson you may not read"),
)


def upgrade() -> None:
    with op.batch_alter_table("document_revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refers_to", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("named_message", sa.String(length=300), nullable=True))
    revisions = sa.table(
        "document_revisions",
        sa.column("id", sa.Integer),
        sa.column("message", sa.String),
        sa.column("refers_to", sa.String),
        sa.column("named_message", sa.String),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(revisions.c.id, revisions.c.message).where(
            sa.or_(
                revisions.c.message.like("Reopened: The problem recurred in %"),
                revisions.c.message.like("Merged into %"),
            )
        )
    ).all()
    for row_id, message in rows:
        for pattern, public in _NAMING:
            found = pattern.match(message)
            if found:
                conn.execute(
                    revisions.update()
                    .where(revisions.c.id == row_id)
                    .values(refers_to=found.group(1), named_message=message, message=public)
                )
                break


def downgrade() -> None:
    revisions = sa.table(
        "document_revisions",
        sa.column("message", sa.String),
        sa.column("named_message", sa.String),
    )
    op.get_bind().execute(
        revisions.update()
        .where(revisions.c.named_message.is_not(None))
        .values(message=revisions.c.named_message)
    )
    with op.batch_alter_table("document_revisions", schema=None) as batch_op:
        batch_op.drop_column("named_message")
        batch_op.drop_column("refers_to")
