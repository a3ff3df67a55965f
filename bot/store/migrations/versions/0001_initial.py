"""Initial schema: incidents, feedback, channel settings, mutes, digest runs, daily balance.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.String(64)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("channel_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("message_ts", ID, nullable=False),
        sa.Column("thread_ts", ID, nullable=True),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("card_id", sa.String(32), nullable=False),
        sa.Column("card_mode", sa.String(16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("triggers", sa.JSON(), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("permalink", sa.Text(), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("action_reason", sa.Text(), nullable=False),
        sa.Column("reply_channel", ID, nullable=True),
        sa.Column("reply_ts", ID, nullable=True),
        sa.Column("post_error", sa.Text(), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("event_id", name="uq_incidents_event_id"),
    )
    op.create_index("ix_incidents_ws_created", "incidents", ["workspace_id", "created_at"])
    op.create_index("ix_incidents_ws_channel_created", "incidents", ["workspace_id", "channel_id", "created_at"])
    op.create_index("ix_incidents_ws_channel_message", "incidents", ["workspace_id", "channel_id", "message_ts"])

    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("incident_id", "user_id", name="uq_feedback_incident_user"),
    )
    op.create_index("ix_feedback_incident_id", "feedback", ["incident_id"])

    op.create_table(
        "channel_settings",
        sa.Column("workspace_id", ID, primary_key=True),
        sa.Column("channel_id", ID, primary_key=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("cooldown_minutes", sa.Integer(), nullable=True),
        sa.Column("digest_enabled", sa.Boolean(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )

    op.create_table(
        "user_mutes",
        sa.Column("workspace_id", ID, primary_key=True),
        sa.Column("user_id", ID, primary_key=True),
        sa.Column("until", TS, nullable=True),
    )

    op.create_table(
        "digest_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("workspace_id", ID, nullable=False),
        sa.Column("channel_id", ID, nullable=False),
        sa.Column("week", sa.String(10), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_at", TS, nullable=False),
        sa.Column("posted_at", TS, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.UniqueConstraint("workspace_id", "channel_id", "week", name="uq_digest_runs_target_week"),
    )

    op.create_table(
        "daily_balance",
        sa.Column("workspace_id", ID, primary_key=True),
        sa.Column("channel_id", ID, primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("benchmark_messages", sa.Integer(), nullable=False),
        sa.Column("user_outcome_messages", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("daily_balance")
    op.drop_table("digest_runs")
    op.drop_table("user_mutes")
    op.drop_table("channel_settings")
    op.drop_index("ix_feedback_incident_id", table_name="feedback")
    op.drop_table("feedback")
    op.drop_index("ix_incidents_ws_channel_message", table_name="incidents")
    op.drop_index("ix_incidents_ws_channel_created", table_name="incidents")
    op.drop_index("ix_incidents_ws_created", table_name="incidents")
    op.drop_table("incidents")
