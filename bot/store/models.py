"""The database tables (SQLModel). Every datetime is timezone-aware UTC on the way in and on the way out."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

CARD_MODES = ("live", "shadow")
ACTIONS = ("reply", "ephemeral", "reaction", "log", "none")
SOURCES = ("live", "replay", "console")
CHANNEL_MODES = ("reply", "ephemeral", "reaction", "shadow", "off")
VERDICTS = ("helpful", "not_relevant", "has_evidence")
DIGEST_STATUSES = ("claimed", "posted", "failed")
EXCERPT_MAX = 300


def utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """TIMESTAMP WITH TIME ZONE on PostgreSQL; naive-UTC text on SQLite. Always returns aware UTC datetimes."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = utc(value)
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else utc(value)


def _now() -> datetime:
    return datetime.now(UTC)


def _ts(**kw: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kw)


class Incident(SQLModel, table=True):
    """One detected claim in one message, and what Mirage did about it."""

    __tablename__ = "incidents"
    __table_args__ = (
        sa.UniqueConstraint("event_id", name="uq_incidents_event_id"),
        sa.Index("ix_incidents_ws_created", "workspace_id", "created_at"),
        sa.Index("ix_incidents_ws_channel_created", "workspace_id", "channel_id", "created_at"),
        sa.Index("ix_incidents_ws_channel_message", "workspace_id", "channel_id", "message_ts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(sa_type=sa.String(64))
    channel_id: str = Field(sa_type=sa.String(64))
    user_id: str = Field(sa_type=sa.String(64))
    message_ts: str = Field(sa_type=sa.String(64))
    thread_ts: str | None = Field(default=None, sa_type=sa.String(64))
    event_id: str = Field(sa_type=sa.String(255))
    card_id: str = Field(sa_type=sa.String(32))
    card_mode: str = Field(sa_type=sa.String(16))
    confidence: float
    triggers: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    excerpt: str = Field(sa_type=sa.Text)
    permalink: str | None = Field(default=None, sa_type=sa.Text)
    action: str = Field(sa_type=sa.String(16))
    action_reason: str = Field(default="", sa_type=sa.Text)
    reply_channel: str | None = Field(default=None, sa_type=sa.String(64))
    reply_ts: str | None = Field(default=None, sa_type=sa.String(64))
    post_error: str | None = Field(default=None, sa_type=sa.Text)
    source: str = Field(default="live", sa_type=sa.String(16))
    created_at: datetime = _ts()


class Feedback(SQLModel, table=True):
    """One person's answer to one nudge; a later answer from the same person replaces the earlier one."""

    __tablename__ = "feedback"
    __table_args__ = (sa.UniqueConstraint("incident_id", "user_id", name="uq_feedback_incident_user"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", ondelete="CASCADE", index=True)
    user_id: str = Field(sa_type=sa.String(64))
    verdict: str = Field(sa_type=sa.String(16))
    created_at: datetime = _ts(default_factory=_now)


class ChannelSetting(SQLModel, table=True):
    """How Mirage behaves in one channel. A channel without a row behaves as the defaults below."""

    __tablename__ = "channel_settings"

    workspace_id: str = Field(primary_key=True, sa_type=sa.String(64))
    channel_id: str = Field(primary_key=True, sa_type=sa.String(64))
    mode: str = Field(default="reply", sa_type=sa.String(16))
    cooldown_minutes: int | None = None
    digest_enabled: bool = False
    archived: bool = False
    updated_at: datetime = _ts(default_factory=_now)


class UserMute(SQLModel, table=True):
    """A person who asked Mirage to leave them alone, until `until` (None: until they unmute)."""

    __tablename__ = "user_mutes"

    workspace_id: str = Field(primary_key=True, sa_type=sa.String(64))
    user_id: str = Field(primary_key=True, sa_type=sa.String(64))
    until: datetime | None = _ts(default=None)


class DigestRun(SQLModel, table=True):
    """One weekly digest for one channel; the UNIQUE constraint makes sure only one process posts it."""

    __tablename__ = "digest_runs"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "channel_id", "week", name="uq_digest_runs_target_week"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: str = Field(sa_type=sa.String(64))
    channel_id: str = Field(sa_type=sa.String(64))
    week: str = Field(sa_type=sa.String(10))
    status: str = Field(default="claimed", sa_type=sa.String(16))
    claimed_at: datetime = _ts(default_factory=_now)
    posted_at: datetime | None = _ts(default=None)
    error: str | None = Field(default=None, sa_type=sa.Text)


class DailyBalance(SQLModel, table=True):
    """Per channel and UTC day: messages seen, how many leaned on benchmarks, how many cited user outcomes."""

    __tablename__ = "daily_balance"

    workspace_id: str = Field(primary_key=True, sa_type=sa.String(64))
    channel_id: str = Field(primary_key=True, sa_type=sa.String(64))
    day: date = Field(primary_key=True)
    messages: int = 0
    benchmark_messages: int = 0
    user_outcome_messages: int = 0


class WorkspaceName(SQLModel, table=True):
    """A workspace's name, as a Slack export or auth.test gave it, so digests and errors can say it."""

    __tablename__ = "workspace_names"

    workspace_id: str = Field(primary_key=True, sa_type=sa.String(64))
    name: str = Field(sa_type=sa.String(255))
    updated_at: datetime = _ts(default_factory=_now)


class ChannelName(SQLModel, table=True):
    """A channel's name (without the #), from a Slack export's channels.json or conversations.info."""

    __tablename__ = "channel_names"

    workspace_id: str = Field(primary_key=True, sa_type=sa.String(64))
    channel_id: str = Field(primary_key=True, sa_type=sa.String(64))
    name: str = Field(sa_type=sa.String(255))
    updated_at: datetime = _ts(default_factory=_now)
