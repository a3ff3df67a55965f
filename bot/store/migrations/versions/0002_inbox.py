"""Durable intake: the inbox table; one incident per card per message (live, retries and replay share one identity).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(64)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("message_key", sa.String(255), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("channel_id", ID, nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("available_at", TS, nullable=False),
        sa.Column("claimed_at", TS, nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.UniqueConstraint("event_id", name="uq_inbox_event_id"),
        sa.UniqueConstraint("message_key", name="uq_inbox_message_key"),
    )
    op.create_index("ix_inbox_state_available", "inbox", ["state", "available_at"])
    # Before this revision one message could be stored twice (a live event and its replay, or two event ids):
    # keep the first incident of each (message, card), then make that the rule.
    op.execute(
        "DELETE FROM incidents WHERE id NOT IN (SELECT min(id) FROM incidents "
        "GROUP BY workspace_id, channel_id, message_ts, card_id)"
    )
    op.create_index("uq_incidents_message", "incidents", ["workspace_id", "channel_id", "message_ts", "card_id"],
                    unique=True)


def downgrade() -> None:
    op.drop_index("uq_incidents_message", table_name="incidents")
    op.drop_index("ix_inbox_state_available", table_name="inbox")
    op.drop_table("inbox")
