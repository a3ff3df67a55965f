"""Names of workspaces and channels (from Slack exports and conversations.info), for digests that say names.

Revision ID: 0004
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.String(64)
NAME = sa.String(255)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "workspace_names",
        sa.Column("workspace_id", ID, primary_key=True),
        sa.Column("name", NAME, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "channel_names",
        sa.Column("workspace_id", ID, primary_key=True),
        sa.Column("channel_id", ID, primary_key=True),
        sa.Column("name", NAME, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("channel_names")
    op.drop_table("workspace_names")
