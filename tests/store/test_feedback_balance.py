"""Feedback, daily balance and channel stats, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import col

from bot.store.balance import add_daily_balance
from bot.store.engine import session_scope
from bot.store.feedback import record_feedback
from bot.store.incidents import record_incident
from bot.store.models import DailyBalance, Feedback
from bot.store.stats import channel_stats

from .factory import at, incident


def test_feedback_is_one_per_person_and_later_answers_replace(engine: Engine) -> None:
    """A person's second verdict on the same nudge replaces the first; other people's verdicts stay separate."""
    with session_scope(engine) as s:
        row, _ = record_incident(s, incident())
        first = record_feedback(s, row.id or 0, "U7", "not_relevant", now=at(hours=1))
    with session_scope(engine) as s:
        second = record_feedback(s, row.id or 0, "U7", "helpful", now=at(hours=2))
        record_feedback(s, row.id or 0, "U8", "has_evidence")
    with session_scope(engine) as s:
        rows = list(s.scalars(select(Feedback).order_by(col(Feedback.user_id))))
    assert second.id == first.id
    assert [(f.user_id, f.verdict) for f in rows] == [("U7", "helpful"), ("U8", "has_evidence")]
    assert rows[0].created_at == at(hours=2)


def test_feedback_rejects_unknown_verdicts_and_incidents(engine: Engine) -> None:
    """An unknown verdict or incident id is refused clearly and nothing is stored."""
    with session_scope(engine) as s:
        row, _ = record_incident(s, incident())
        with pytest.raises(ValueError, match="helpful, not_relevant, has_evidence"):
            record_feedback(s, row.id or 0, "U7", "meh")
        with pytest.raises(LookupError, match="no incident"):
            record_feedback(s, 424242, "U7", "helpful")
        assert s.scalar(select(func.count()).select_from(Feedback)) == 0


def test_daily_balance_increments(engine: Engine) -> None:
    """add_daily_balance creates the day's row, then adds to it; days and channels are kept apart."""
    day = date(2026, 11, 16)
    with session_scope(engine) as s:
        add_daily_balance(s, "T1", "C1", day)
        add_daily_balance(s, "T1", "C1", day, benchmark=1)
    with session_scope(engine) as s:
        add_daily_balance(s, "T1", "C1", day, messages=3, user_outcome=2)
        add_daily_balance(s, "T1", "C1", date(2026, 11, 17))
        add_daily_balance(s, "T1", "C2", day, messages=0, benchmark=1)
    with session_scope(engine) as s:
        row = s.get(DailyBalance, ("T1", "C1", day))
        assert row is not None
        assert (row.messages, row.benchmark_messages, row.user_outcome_messages) == (5, 1, 2)
        other = s.get(DailyBalance, ("T1", "C2", day))
        assert other is not None and (other.messages, other.benchmark_messages) == (0, 1)
        assert s.scalar(select(func.count()).select_from(DailyBalance)) == 3


def test_channel_stats_since(engine: Engine) -> None:
    """channel_stats counts claims per card, the message balance and feedback per verdict from `since` on."""
    with session_scope(engine) as s:
        old, _ = record_incident(s, incident(created_at=at(days=-10)))
        a, _ = record_incident(s, incident(created_at=at(hours=1)))
        b, _ = record_incident(s, incident(created_at=at(hours=2), card_id="RF-39"))
        record_incident(s, incident(created_at=at(hours=3)))
        record_incident(s, incident(created_at=at(hours=3), channel_id="C2"))
        record_feedback(s, a.id or 0, "U7", "helpful")
        record_feedback(s, b.id or 0, "U7", "helpful")
        record_feedback(s, b.id or 0, "U8", "has_evidence")
        record_feedback(s, old.id or 0, "U8", "not_relevant")
        add_daily_balance(s, "T1", "C1", at().date(), messages=10, benchmark=3, user_outcome=1)
        add_daily_balance(s, "T1", "C1", at(days=-10).date(), messages=99, benchmark=99)
        add_daily_balance(s, "T1", "C2", at().date(), messages=7)
    with session_scope(engine) as s:
        stats = channel_stats(s, "T1", "C1", at())
    assert stats.claims_by_card == {"FM-16": 2, "RF-39": 1}
    assert (stats.messages, stats.benchmark_messages, stats.user_outcome_messages) == (10, 3, 1)
    assert stats.feedback == {"has_evidence": 1, "helpful": 2}
