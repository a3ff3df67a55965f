"""Thread and reply history: whether, when and how often Mirage already spoke (for cooldowns and caps)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlmodel import Session, col

from bot.store.models import Incident, utc

# What counts as "Mirage spoke" for cooldowns and caps: a nudge that was posted (no post_error), outside replays.
NUDGE_ACTIONS = ("reply", "ephemeral")


def _spoke() -> ColumnElement[bool]:
    return and_(
        col(Incident.action).in_(NUDGE_ACTIONS),
        col(Incident.post_error).is_(None),
        col(Incident.source) != "replay",
    )


def replied_in_thread(s: Session, workspace_id: str, channel_id: str, thread_ts: str, card_id: str) -> bool:
    """Whether Mirage already nudged about `card_id` in this thread (on its root message or any reply)."""
    query = select(col(Incident.id)).where(
        col(Incident.workspace_id) == workspace_id,
        col(Incident.channel_id) == channel_id,
        or_(col(Incident.thread_ts) == thread_ts, col(Incident.message_ts) == thread_ts),
        col(Incident.card_id) == card_id,
        _spoke(),
    )
    return s.scalars(query.limit(1)).first() is not None


def last_reply_at(s: Session, workspace_id: str, channel_id: str) -> datetime | None:
    """The message time of the latest incident Mirage nudged about in this channel."""
    query = select(func.max(Incident.created_at)).where(
        col(Incident.workspace_id) == workspace_id, col(Incident.channel_id) == channel_id, _spoke()
    )
    latest: datetime | None = s.scalar(query)
    return None if latest is None else utc(latest)


def replies_by_user_since(s: Session, workspace_id: str, user_id: str, since: datetime) -> int:
    """How many times Mirage nudged this person since `since`."""
    query = select(func.count()).where(
        col(Incident.workspace_id) == workspace_id,
        col(Incident.user_id) == user_id,
        col(Incident.created_at) >= since,
        _spoke(),
    )
    return int(s.scalar(query) or 0)
