"""Mutes: people who asked Mirage not to nudge them, until a time or until they unmute."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col

from bot.store.models import UserMute, utc


def mute_user(s: Session, workspace_id: str, user_id: str, until: datetime | None) -> UserMute:
    """Mute a person until `until` (None: until they unmute). Muting again replaces the end time."""
    mute = s.get(UserMute, (workspace_id, user_id)) or UserMute(workspace_id=workspace_id, user_id=user_id)
    mute.until = None if until is None else utc(until)
    s.add(mute)
    s.flush()
    return mute


def unmute_user(s: Session, workspace_id: str, user_id: str) -> bool:
    """Lift a mute; False when the person was not muted."""
    result = s.execute(
        delete(UserMute).where(col(UserMute.workspace_id) == workspace_id, col(UserMute.user_id) == user_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def is_muted(s: Session, workspace_id: str, user_id: str, now: datetime) -> bool:
    mute = s.get(UserMute, (workspace_id, user_id))
    return mute is not None and (mute.until is None or utc(mute.until) > utc(now))
