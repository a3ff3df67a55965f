"""Channel stats: claims per card, message balance and feedback per verdict, since a moment."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlmodel import Session, col

from bot.store.models import DailyBalance, Feedback, Incident, utc


@dataclass(frozen=True, slots=True)
class ChannelStats:
    """One channel since a moment: claims per card, message balance and feedback per verdict."""

    claims_by_card: dict[str, int] = field(default_factory=dict)
    messages: int = 0
    benchmark_messages: int = 0
    user_outcome_messages: int = 0
    feedback: dict[str, int] = field(default_factory=dict)


def channel_stats(s: Session, workspace_id: str, channel_id: str, since: datetime) -> ChannelStats:
    in_channel = and_(
        col(Incident.workspace_id) == workspace_id,
        col(Incident.channel_id) == channel_id,
        col(Incident.created_at) >= since,
    )
    card = col(Incident.card_id)
    claims = s.execute(select(card, func.count()).where(in_channel).group_by(card)).all()
    balance = s.execute(
        select(
            func.coalesce(func.sum(DailyBalance.messages), 0),
            func.coalesce(func.sum(DailyBalance.benchmark_messages), 0),
            func.coalesce(func.sum(DailyBalance.user_outcome_messages), 0),
        ).where(
            col(DailyBalance.workspace_id) == workspace_id,
            col(DailyBalance.channel_id) == channel_id,
            col(DailyBalance.day) >= utc(since).date(),
        )
    ).one()
    verdicts = s.execute(
        select(col(Feedback.verdict), func.count())
        .join(Incident, col(Incident.id) == col(Feedback.incident_id))
        .where(in_channel)
        .group_by(col(Feedback.verdict))
    ).all()
    return ChannelStats(
        claims_by_card={card: int(n) for card, n in sorted(claims)},
        messages=int(balance[0]),
        benchmark_messages=int(balance[1]),
        user_outcome_messages=int(balance[2]),
        feedback={verdict: int(n) for verdict, n in sorted(verdicts)},
    )
