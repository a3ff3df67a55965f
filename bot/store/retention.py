"""Retention: deleting what is older than a cutoff, and everything stored about one person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Delete, delete, select
from sqlmodel import Session, col

from bot.store.models import DailyBalance, DigestRun, Feedback, Incident, UserMute, utc


def _delete(s: Session, statement: Delete) -> int:
    return int(s.execute(statement).rowcount)  # type: ignore[attr-defined]


def purge_older_than(s: Session, cutoff: datetime) -> int:
    """Delete incidents (with their feedback), daily balance and digest runs older than `cutoff`; rows deleted."""
    old = select(col(Incident.id)).where(col(Incident.created_at) < cutoff).scalar_subquery()
    deleted = _delete(s, delete(Feedback).where(col(Feedback.incident_id).in_(old)))
    deleted += _delete(s, delete(Incident).where(col(Incident.created_at) < cutoff))
    deleted += _delete(s, delete(DailyBalance).where(col(DailyBalance.day) < utc(cutoff).date()))
    deleted += _delete(s, delete(DigestRun).where(col(DigestRun.claimed_at) < cutoff))
    deleted += _delete(s, delete(UserMute).where(col(UserMute.until).is_not(None), col(UserMute.until) < cutoff))
    return deleted


def purge_user(s: Session, user_id: str, workspace_id: str | None = None) -> int:
    """Delete everything stored about one person: their incidents (with feedback on them), their feedback, mutes."""
    in_scope: list[ColumnElement[bool]] = [col(Incident.user_id) == user_id]
    if workspace_id is not None:
        in_scope.append(col(Incident.workspace_id) == workspace_id)
    theirs = select(col(Incident.id)).where(*in_scope).scalar_subquery()
    deleted = _delete(s, delete(Feedback).where(col(Feedback.incident_id).in_(theirs)))
    given: list[ColumnElement[bool]] = [col(Feedback.user_id) == user_id]
    if workspace_id is not None:
        scoped = select(col(Incident.id)).where(col(Incident.workspace_id) == workspace_id).scalar_subquery()
        given.append(col(Feedback.incident_id).in_(scoped))
    deleted += _delete(s, delete(Feedback).where(*given))
    deleted += _delete(s, delete(Incident).where(*in_scope))
    mutes: list[ColumnElement[bool]] = [col(UserMute.user_id) == user_id]
    if workspace_id is not None:
        mutes.append(col(UserMute.workspace_id) == workspace_id)
    deleted += _delete(s, delete(UserMute).where(*mutes))
    return deleted
