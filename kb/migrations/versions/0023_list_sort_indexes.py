"""list sort indexes: documents by type then last change, and by type then title

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_documents_type_changed", "documents", ["type", "changed_at", "updated_at"])
    op.create_index("ix_documents_type_title", "documents", ["type", "title"])


def downgrade() -> None:
    op.drop_index("ix_documents_type_title", table_name="documents")
    op.drop_index("ix_documents_type_changed", table_name="documents")
