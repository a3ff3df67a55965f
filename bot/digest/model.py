"""What the digest is built from: small aggregates the store computes for one workspace and one week. Pure data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.week import IsoWeek

TREND_WEEKS = 8


@dataclass(frozen=True, slots=True)
class ClaimCount:
    """Incidents of one card in one channel, this week and the week before. `shadow` = logged, never posted."""

    card_id: str
    channel_id: str
    this_week: int
    previous_week: int
    shadow: bool = False


@dataclass(frozen=True, slots=True)
class BalanceWeek:
    """One channel's messages in one week: how many leaned on benchmarks, how many cited user outcomes."""

    channel_id: str
    week: IsoWeek
    benchmark_messages: int
    user_outcome_messages: int
    messages: int


@dataclass(frozen=True, slots=True)
class FeedbackCount:
    """How people answered the nudges of one card this week (`verdict` is one of VERDICTS)."""

    card_id: str
    verdict: str
    count: int


@dataclass(frozen=True, slots=True)
class Example:
    """One incident worth showing: its excerpt is already escaped (at most 300 characters)."""

    card_id: str
    channel_id: str
    excerpt: str
    confidence: float
    created_at: datetime
    permalink: str | None = None


@dataclass(frozen=True, slots=True)
class DigestInput:
    """Everything one workspace's digest for `week` needs, as the store hands it over.

    `balance` holds up to TREND_WEEKS weeks ending with `week`, per channel; `examples` the best few incidents
    of the week of each card (highest confidence first); `channel_names` maps ids to names where known;
    `hidden_channels` are the channels whose text is never shown (shadow mode). Private channels need no entry:
    their incidents carry no text at all.
    """

    workspace_id: str
    week: IsoWeek
    claims: tuple[ClaimCount, ...] = ()
    balance: tuple[BalanceWeek, ...] = ()
    feedback: tuple[FeedbackCount, ...] = ()
    examples: tuple[Example, ...] = ()
    channel_names: dict[str, str] = field(default_factory=dict)
    hidden_channels: frozenset[str] = frozenset()
    workspace_name: str | None = None
