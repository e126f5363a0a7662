"""documents.changed_at: when a person last changed a document (not when kb imported it)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ALTER TABLE, no batch: SQLite's batch mode copies `documents` and drops the old
    # table, which would cascade to every revision
    op.add_column("documents", sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))
    # what a person saved in kb keeps its date; what the current revision imported has none
    op.execute(
        "UPDATE documents SET changed_at = updated_at WHERE NOT EXISTS ("
        "SELECT 1 FROM document_revisions r WHERE r.document_id = documents.id "
        "AND r.number = documents.version AND r.message LIKE 'Imported from %')"
    )


def downgrade() -> None:
    op.drop_column("documents", "changed_at")  # SQLite 3.35+ drops a plain column in place
