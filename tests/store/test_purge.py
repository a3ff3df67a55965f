"""Retention and per-person deletion, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlmodel import SQLModel, col

from bot.store.balance import add_daily_balance
from bot.store.digest_runs import claim_digest_run
from bot.store.engine import session_scope
from bot.store.feedback import record_feedback
from bot.store.incidents import record_incident
from bot.store.models import DailyBalance, DigestRun, Feedback, Incident, UserMute
from bot.store.mutes import is_muted, mute_user
from bot.store.retention import purge_older_than, purge_user
from bot.week import IsoWeek

from .factory import at, incident


def _count(engine: Engine, table: type[SQLModel]) -> int:
    with session_scope(engine) as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def test_purge_older_than_removes_old_rows_only(engine: Engine) -> None:
    """Incidents (with their feedback), daily balance and expired mutes before the cutoff go; newer rows stay."""
    with session_scope(engine) as s:
        old, _ = record_incident(s, incident(created_at=at(days=-200)))
        new, _ = record_incident(s, incident(created_at=at(days=-1)))
        record_feedback(s, old.id or 0, "U7", "helpful")
        record_feedback(s, new.id or 0, "U7", "helpful")
        add_daily_balance(s, "T1", "C1", at(days=-200).date())
        add_daily_balance(s, "T1", "C1", at(days=-1).date())
        mute_user(s, "T1", "U5", at(days=-190))
        mute_user(s, "T1", "U6", None)
    with session_scope(engine) as s:
        deleted = purge_older_than(s, at(days=-180))
    assert deleted == 4  # incident, its feedback, one balance day, one expired mute
    assert _count(engine, Incident) == 1
    assert _count(engine, Feedback) == 1
    assert _count(engine, DailyBalance) == 1
    with session_scope(engine) as s:
        assert is_muted(s, "T1", "U6", at()) is True
        assert s.scalars(select(col(Incident.id))).all() == [new.id]
        assert purge_older_than(s, at(days=-180)) == 0


def test_purge_older_than_removes_old_digest_runs(engine: Engine) -> None:
    """Digest runs claimed before the cutoff are deleted too."""
    with session_scope(engine) as s:
        claim_digest_run(s, "T1", "C1", IsoWeek(2026, 1))
    with session_scope(engine) as s:
        assert purge_older_than(s, at(days=-365 * 10)) == 0
        assert purge_older_than(s, at(days=365 * 10)) == 1
    assert _count(engine, DigestRun) == 0


def test_purge_user_removes_their_incidents_feedback_and_mutes(engine: Engine) -> None:
    """Everything about one person goes: their incidents (and feedback on them), feedback they gave, their mutes."""
    with session_scope(engine) as s:
        theirs, _ = record_incident(s, incident(user_id="U1"))
        other, _ = record_incident(s, incident(user_id="U2"))
        record_feedback(s, theirs.id or 0, "U2", "helpful")  # on their incident
        record_feedback(s, other.id or 0, "U1", "not_relevant")  # given by them
        record_feedback(s, other.id or 0, "U3", "helpful")  # unrelated
        mute_user(s, "T1", "U1", None)
    with session_scope(engine) as s:
        deleted = purge_user(s, "U1")
    assert deleted == 4
    with session_scope(engine) as s:
        assert s.scalars(select(col(Incident.user_id))).all() == ["U2"]
        assert s.scalars(select(col(Feedback.user_id))).all() == ["U3"]
        assert s.scalar(select(func.count()).select_from(UserMute)) == 0


def test_purge_user_can_be_limited_to_one_workspace(engine: Engine) -> None:
    """With a workspace id, the same user id in another workspace is left alone."""
    with session_scope(engine) as s:
        record_incident(s, incident(user_id="U1", workspace_id="T1"))
        record_incident(s, incident(user_id="U1", workspace_id="T2"))
        mute_user(s, "T2", "U1", None)
    with session_scope(engine) as s:
        assert purge_user(s, "U1", workspace_id="T1") == 1
    with session_scope(engine) as s:
        assert s.scalars(select(col(Incident.workspace_id))).all() == ["T2"]
        assert is_muted(s, "T2", "U1", at()) is True
        assert purge_user(s, "nobody") == 0
