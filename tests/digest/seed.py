"""A small, known week of data in a real database, shared by the schedule and CLI tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from bot.store.balance import add_daily_balance
from bot.store.channels import set_digest
from bot.store.engine import session_scope
from bot.store.incidents import NewIncident, record_incident


def seed(engine: Engine, channels: tuple[str, ...] = ("C1", "C2", "C3"), workspace: str = "T1") -> None:
    """Three opted-in channels, three live claims and one shadow claim in 2026-W47 (all in C1), one claim in W46."""
    moment = datetime(2026, 11, 18, 12, tzinfo=UTC)
    with session_scope(engine) as s:
        for ch in channels:
            set_digest(s, workspace, ch, True)
        for i, (card, mode, when) in enumerate(
            [
                ("FM-16", "live", moment),
                ("FM-16", "live", moment + timedelta(hours=1)),
                ("RF-39", "live", moment + timedelta(days=1)),
                ("RF-39", "shadow", moment),
                ("FM-16", "live", moment - timedelta(days=7)),
            ]
        ):
            record_incident(
                s,
                NewIncident(
                    workspace_id=workspace, channel_id="C1", user_id="U1", message_ts=f"1763467200.00{i}",
                    event_id=f"Ev{workspace}{i}", card_id=card, card_mode=mode, confidence=0.8 + i / 100,
                    excerpt=f"claim {i} tops MMLU &amp; ships &lt;@U9&gt;", action="reply", action_reason="test",
                    created_at=when,
                ),
            )
        add_daily_balance(s, workspace, "C1", date(2026, 11, 17), messages=10, benchmark=4, user_outcome=1)
