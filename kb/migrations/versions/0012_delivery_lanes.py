"""delivery lanes: handler_runs.lane and .receiver

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-06
"""

from datetime import UTC, datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handler_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lane", sa.String(length=16), server_default="kb", nullable=False)
        )
        batch_op.add_column(sa.Column("receiver", sa.String(length=200), nullable=True))
        batch_op.drop_index("ix_handler_runs_due")
        batch_op.create_index("ix_handler_runs_due", ["lane", "status", "next_attempt_at"])
        batch_op.create_index("ix_handler_runs_receiver", ["receiver", "status"])
    # Runs that wait on other machines move to the deliveries lane; unfinished webhook runs
    # learn their receiver (the host of their subscription's URL); those of a disabled
    # subscription are cancelled, as disabling one does from now on.
    op.execute(
        "UPDATE handler_runs SET lane = 'deliveries' "
        "WHERE handler LIKE 'webhook:%' OR handler = 'notifications.mail'"
    )
    conn = op.get_bind()
    subs = conn.execute(sa.text("SELECT id, url, is_active FROM subscriptions")).all()
    for sub_id, url, is_active in subs:
        handler = f"webhook:{sub_id}"
        conn.execute(
            sa.text(
                "UPDATE handler_runs SET receiver = :host "
                "WHERE handler = :handler AND status IN ('pending', 'running')"
            ),
            {"host": (urlsplit(url).hostname or "")[:200] or None, "handler": handler},
        )
        if not is_active:
            conn.execute(
                sa.text(
                    "UPDATE handler_runs SET status = 'cancelled', finished_at = :now, "
                    "last_error = 'cancelled: the subscription was disabled' "
                    "WHERE handler = :handler AND status = 'pending'"
                ),
                {"handler": handler, "now": datetime.now(UTC)},
            )


def downgrade() -> None:
    with op.batch_alter_table("handler_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_handler_runs_receiver")
        batch_op.drop_index("ix_handler_runs_due")
        batch_op.create_index("ix_handler_runs_due", ["status", "next_attempt_at"])
        batch_op.drop_column("receiver")
        batch_op.drop_column("lane")
