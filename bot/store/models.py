"""The database tables (SQLModel). Every datetime is timezone-aware UTC on the way in and on the way out."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

INBOX_KINDS = ("message", "deleted")
INBOX_STATES = ("pending", "working", "done", "failed")


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
        # one incident per card per message, whichever way it arrived (live, a Slack retry, a second event id, replay)
        sa.Index("uq_incidents_message", "workspace_id", "channel_id", "message_ts", "card_id", unique=True),
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


class InboxItem(SQLModel, table=True):
    """One Slack event, stored before it is acknowledged and processed from here (at least once, effect once).

    `event_id` is Slack's envelope id (the same on every retry). `message_key` is the message's own identity,
    `workspace:channel:ts`, for kind "message": a second event id for the same message (an `app_mention` beside its
    `message` event, a redelivery) finds the row already there. `applied` turns true in the same transaction that
    stores the message's effect (balance counters, incident), so a reprocessed row never counts or records twice.
    The payload (with message text) is cleared once the row is done.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        sa.UniqueConstraint("event_id", name="uq_inbox_event_id"),
        sa.UniqueConstraint("message_key", name="uq_inbox_message_key"),
        sa.Index("ix_inbox_state_available", "state", "available_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(sa_type=sa.String(255))
    message_key: str | None = Field(default=None, sa_type=sa.String(255))
    kind: str = Field(sa_type=sa.String(16))
    workspace_id: str = Field(sa_type=sa.String(64))
    channel_id: str = Field(sa_type=sa.String(64))
    payload: str | None = Field(default=None, sa_type=sa.Text)
    state: str = Field(default="pending", sa_type=sa.String(16))
    applied: bool = False
    attempts: int = 0
    received_at: datetime = _ts(default_factory=_now)
    available_at: datetime = _ts(default_factory=_now)
    claimed_at: datetime | None = _ts(default=None)
    claimed_by: str | None = Field(default=None, sa_type=sa.String(64))
    finished_at: datetime | None = _ts(default=None)
    error: str | None = Field(default=None, sa_type=sa.Text)


class RequestNonce(SQLModel, table=True):
    """A signed slash command or button click already acted on, by its Slack signature. Slack's signature covers
    the request timestamp, and Bolt refuses timestamps older than 5 minutes, so a row is needed only for that long:
    a replay inside the window finds its row and does nothing."""

    __tablename__ = "request_nonces"
    __table_args__ = (sa.Index("ix_request_nonces_seen_at", "seen_at"),)

    signature: str = Field(primary_key=True, sa_type=sa.String(128))
    seen_at: datetime = _ts(default_factory=_now)


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
