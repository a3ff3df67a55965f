"""What one workspace's weekly digest is built from, computed with GROUP BY aggregates (no row loads)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import ColumnElement, Integer, case, func, select
from sqlmodel import Session, col

from bot.digest.model import TREND_WEEKS, BalanceWeek, ClaimCount, DigestInput, Example, FeedbackCount
from bot.store.models import ChannelSetting, DailyBalance, DigestRun, Feedback, Incident, utc
from bot.store.names import channel_names, workspace_names
from bot.week import IsoWeek


def _claims(s: Session, workspace_id: str, week: IsoWeek) -> tuple[ClaimCount, ...]:
    previous = week.previous()
    created = col(Incident.created_at)
    this_week = func.sum(case((created >= week.start, 1), else_=0), type_=Integer)
    query = (
        select(col(Incident.card_id), col(Incident.channel_id), col(Incident.card_mode), this_week, func.count())
        .where(col(Incident.workspace_id) == workspace_id, created >= previous.start, created < week.end)
        .group_by(col(Incident.card_id), col(Incident.channel_id), col(Incident.card_mode))
    )
    rows = [
        ClaimCount(card, channel, int(now), int(total) - int(now), shadow=mode == "shadow")
        for card, channel, mode, now, total in s.execute(query)
    ]
    return tuple(sorted(rows, key=lambda c: (c.card_id, c.channel_id, c.shadow)))


def _balance(s: Session, workspace_id: str, week: IsoWeek) -> tuple[BalanceWeek, ...]:
    first = week.shift(-(TREND_WEEKS - 1))
    query = select(
        col(DailyBalance.channel_id),
        col(DailyBalance.day),
        col(DailyBalance.messages),
        col(DailyBalance.benchmark_messages),
        col(DailyBalance.user_outcome_messages),
    ).where(
        col(DailyBalance.workspace_id) == workspace_id,
        col(DailyBalance.day) >= first.monday,
        col(DailyBalance.day) < week.end.date(),
    )
    totals: dict[tuple[str, IsoWeek], list[int]] = defaultdict(lambda: [0, 0, 0])
    channels: set[str] = set()
    for channel, day, messages, benchmark, outcome in s.execute(query):
        channels.add(channel)
        bucket = totals[(channel, IsoWeek.of(day if isinstance(day, date) else date.fromisoformat(str(day))))]
        bucket[0] += messages
        bucket[1] += benchmark
        bucket[2] += outcome
    weeks = [first.shift(i) for i in range(TREND_WEEKS)]
    return tuple(
        BalanceWeek(channel, w, totals[(channel, w)][1], totals[(channel, w)][2], totals[(channel, w)][0])
        for channel in sorted(channels)
        for w in weeks
    )


def _feedback(s: Session, workspace_id: str, week: IsoWeek) -> tuple[FeedbackCount, ...]:
    query = (
        select(col(Incident.card_id), col(Feedback.verdict), func.count())
        .join(Incident, col(Incident.id) == col(Feedback.incident_id))
        .where(
            col(Incident.workspace_id) == workspace_id,
            col(Feedback.created_at) >= week.start,
            col(Feedback.created_at) < week.end,
        )
        .group_by(col(Incident.card_id), col(Feedback.verdict))
    )
    return tuple(FeedbackCount(card, verdict, int(n)) for card, verdict, n in sorted(s.execute(query).all()))


def _hidden_channels(s: Session, workspace_id: str) -> frozenset[str]:
    """Channels in shadow mode: counted in the digest, never quoted."""
    query = select(col(ChannelSetting.channel_id)).where(
        col(ChannelSetting.workspace_id) == workspace_id, col(ChannelSetting.mode) == "shadow"
    )
    return frozenset(s.scalars(query))


def _examples(
    s: Session,
    workspace_id: str,
    week: IsoWeek,
    limit: int,
    hidden: frozenset[str],
    channel_id: str | None,
    cards: Iterable[str],
) -> tuple[Example, ...]:
    """The `limit` most confident incidents of the week of each of `cards` (those with claims this week) that may
    be shown: with text, not from a shadow-mode channel, and only from `channel_id` when one is given. The digest
    takes them in turn from each card."""
    if limit <= 0:
        return ()
    only: list[ColumnElement[bool]] = [col(Incident.excerpt) != ""]
    if hidden:
        only.append(col(Incident.channel_id).not_in(sorted(hidden)))
    if channel_id is not None:
        only.append(col(Incident.channel_id) == channel_id)
    found: list[Example] = []
    for card_id in sorted(set(cards)):
        query = (
            select(
                col(Incident.card_id),
                col(Incident.channel_id),
                col(Incident.excerpt),
                col(Incident.confidence),
                col(Incident.created_at),
                col(Incident.permalink),
            )
            .where(
                col(Incident.workspace_id) == workspace_id,
                col(Incident.created_at) >= week.start,
                col(Incident.created_at) < week.end,
                col(Incident.card_id) == card_id,
                *only,
            )
            .order_by(col(Incident.confidence).desc(), col(Incident.created_at).desc(), col(Incident.id).desc())
            .limit(limit)
        )
        found += [
            Example(card, channel, excerpt, float(confidence), utc(created), permalink)
            for card, channel, excerpt, confidence, created, permalink in s.execute(query)
        ]
    return tuple(sorted(found, key=lambda e: (-e.confidence, e.created_at, e.card_id, e.channel_id, e.excerpt)))


def channel_examples(s: Session, data: DigestInput, channel_id: str, examples: int = 5) -> DigestInput:
    """`data` (a workspace's input) with its examples replaced by `channel_id`'s own: what a digest posted in that
    channel may quote. The aggregates are computed once per workspace; only this cheap query runs per channel."""
    cards = (c.card_id for c in data.claims if c.this_week)
    found = _examples(s, data.workspace_id, data.week, examples, data.hidden_channels, channel_id, cards)
    return replace(data, examples=found)


def load_digest_input(
    s: Session, workspace_id: str, week: IsoWeek, examples: int = 5, examples_from: str | None = None
) -> DigestInput:
    """Claims per card and channel (this week and last), the 8-week message balance per channel, this week's
    feedback per card and verdict, and the `examples` most confident incidents of the week of each card that may be
    shown: with text, not from a shadow-mode channel, and only from `examples_from` when a channel is given (the
    channel the digest is posted in)."""
    hidden = _hidden_channels(s, workspace_id)
    claims = _claims(s, workspace_id, week)
    return DigestInput(
        workspace_id=workspace_id,
        week=week,
        claims=claims,
        balance=_balance(s, workspace_id, week),
        feedback=_feedback(s, workspace_id, week),
        examples=_examples(s, workspace_id, week, examples, hidden, examples_from,
                           (c.card_id for c in claims if c.this_week)),
        hidden_channels=hidden,
        channel_names=channel_names(s, workspace_id),
        workspace_name=workspace_names(s).get(workspace_id),
    )


def latest_activity(s: Session, workspace_id: str) -> date | None:
    """The newest UTC day of the workspace's claims; without claims, the newest day a message was counted; None
    when nothing is recorded. (Where a digest has something to show.)"""
    newest_day = s.execute(
        select(func.max(col(DailyBalance.day))).where(col(DailyBalance.workspace_id) == workspace_id)
    ).scalar()
    newest_claim = s.execute(
        select(func.max(col(Incident.created_at))).where(col(Incident.workspace_id) == workspace_id)
    ).scalar()
    if newest_claim is not None:
        claimed = newest_claim if isinstance(newest_claim, datetime) else datetime.fromisoformat(str(newest_claim))
        return utc(claimed).date()
    if newest_day is not None:
        return newest_day if isinstance(newest_day, date) else date.fromisoformat(str(newest_day))
    return None


def active_workspaces(s: Session, week: IsoWeek) -> list[str]:
    """The workspaces with anything recorded in `week` (a message counted or a claim), in id order."""
    counted = select(col(DailyBalance.workspace_id)).where(
        col(DailyBalance.day) >= week.monday, col(DailyBalance.day) < week.end.date()
    )
    claimed = select(col(Incident.workspace_id)).where(
        col(Incident.created_at) >= week.start, col(Incident.created_at) < week.end
    )
    return sorted({ws for (ws,) in s.execute(counted.union(claimed))})


def last_digest_run(s: Session, workspace_id: str, channel_id: str) -> DigestRun | None:
    """The most recent digest run of one channel (posted, failed or claimed), or None."""
    query = (
        select(DigestRun)
        .where(col(DigestRun.workspace_id) == workspace_id, col(DigestRun.channel_id) == channel_id)
        .order_by(col(DigestRun.claimed_at).desc(), col(DigestRun.id).desc())
        .limit(1)
    )
    found: DigestRun | None = s.execute(query).scalars().first()
    return found


def active_channels(s: Session, workspace_id: str, since: datetime) -> list[str]:
    """The channels of the workspace where Mirage counted a message or recorded a claim since `since`."""
    counted = select(col(DailyBalance.channel_id)).where(
        col(DailyBalance.workspace_id) == workspace_id, col(DailyBalance.day) >= since.date()
    )
    claimed = select(col(Incident.channel_id)).where(
        col(Incident.workspace_id) == workspace_id, col(Incident.created_at) >= since
    )
    return sorted({ch for (ch,) in s.execute(counted.union(claimed))})
