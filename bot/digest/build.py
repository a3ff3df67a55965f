"""Turn one workspace's weekly aggregates into a digest: totals, balance trends, feedback, examples. Pure."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.catalog import Catalog
from bot.digest.model import TREND_WEEKS, DigestInput, Example
from bot.domain import VERDICTS
from bot.week import IsoWeek

Direction = Literal["improving", "worsening", "steady", "new"]
# A trend moves when its least-squares slope is at least this many share points per week (0.02 = 2 points a week).
STEADY_BAND = 0.02
MAX_EXAMPLES = 5

_NameOf = Callable[[str], str]
_KeyOf = Callable[[str], tuple[int, str]]


class _WeekOverWeek:
    """A count this week and the week before, and the change between them."""

    __slots__ = ()
    this_week: int
    previous_week: int

    @property
    def change(self) -> int:
        return self.this_week - self.previous_week


@dataclass(frozen=True, slots=True)
class CardTotal(_WeekOverWeek):
    """Live incidents of one card across the workspace, this week and the week before."""

    card_id: str
    name: str
    this_week: int
    previous_week: int


@dataclass(frozen=True, slots=True)
class ChannelTotal(_WeekOverWeek):
    """Live incidents (all cards) in one channel, this week and the week before."""

    channel_id: str
    name: str | None
    this_week: int
    previous_week: int


@dataclass(frozen=True, slots=True)
class BalancePoint:
    """One week of one channel: `share` = benchmark-leaning / (benchmark-leaning + user-outcome), None when neither."""

    week: IsoWeek
    benchmark_messages: int
    user_outcome_messages: int
    messages: int

    @property
    def share(self) -> float | None:
        either = self.benchmark_messages + self.user_outcome_messages
        return self.benchmark_messages / either if either else None


@dataclass(frozen=True, slots=True)
class ChannelBalance:
    """Benchmark talk against user-outcome talk in one channel (or the whole workspace when `channel_id` is None).

    `trend` holds TREND_WEEKS points, oldest first, ending with the digest's week; `direction` says whether the
    benchmark-leaning share is falling ("improving"), rising ("worsening") or neither ("steady"); "new" while fewer
    than two weeks have data (too soon to tell).
    """

    channel_id: str | None
    name: str | None
    trend: tuple[BalancePoint, ...]
    direction: Direction

    @property
    def this_week(self) -> BalancePoint:
        return self.trend[-1]

    @property
    def share(self) -> float | None:
        return self.this_week.share


@dataclass(frozen=True, slots=True)
class CardFeedback:
    """How people answered one card's nudges this week."""

    card_id: str
    name: str
    helpful: int
    not_relevant: int
    has_evidence: int

    @property
    def total(self) -> int:
        return self.helpful + self.not_relevant + self.has_evidence

    @property
    def helpful_rate(self) -> float | None:
        return self.helpful / self.total if self.total else None


# A shadow card's matches (how often Mirage would have replied, had the card been live) are counted the same way.
ShadowTotal = CardTotal


@dataclass(frozen=True, slots=True)
class ExampleItem:
    """An incident worth showing. `excerpt` is already escaped for Slack; `card_name` is not."""

    card_id: str
    card_name: str
    channel_id: str
    channel_name: str | None
    excerpt: str
    confidence: float
    created_at_iso: str
    permalink: str | None


@dataclass(frozen=True, slots=True)
class QuestionOfWeek:
    card_id: str
    card_name: str
    text: str


@dataclass(frozen=True, slots=True)
class Digest:
    """One workspace's weekly digest. `quiet` = no claims at all this week (live or shadow)."""

    workspace_id: str
    week: IsoWeek
    total_this_week: int
    total_previous_week: int
    cards: tuple[CardTotal, ...]
    channels: tuple[ChannelTotal, ...]
    balance: tuple[ChannelBalance, ...]
    overall_balance: ChannelBalance
    feedback: tuple[CardFeedback, ...]
    shadow: tuple[ShadowTotal, ...]
    examples: tuple[ExampleItem, ...]
    question: QuestionOfWeek | None
    quiet: bool
    workspace_name: str | None = None

    @property
    def total_change(self) -> int:
        return self.total_this_week - self.total_previous_week


def build_digest(
    data: DigestInput, catalog: Catalog, max_examples: int = MAX_EXAMPLES, posted_in: str | None = None
) -> Digest:
    """The digest of `data.week` for `data.workspace_id`; card names come from `catalog`.

    Privacy: a digest `posted_in` a channel shows examples (message text) only from that channel; every channel
    appears in the counts. Text from a hidden (shadow-mode) channel, or an incident without text (a private
    channel's), is never an example. `posted_in=None` is the operator's view of the whole workspace.
    """
    names = {card.id: card.name for card in catalog.cards}
    order = {card.id: i for i, card in enumerate(catalog.cards)}

    def card_name(card_id: str) -> str:
        return names.get(card_id, f"{card_id} (not in the catalog)")

    def card_key(card_id: str) -> tuple[int, str]:
        return (order.get(card_id, len(order)), card_id)

    live_cards: dict[str, list[int]] = {c.id: [0, 0] for c in catalog.cards if c.mode == "live"}
    shadow_cards: dict[str, list[int]] = {c.id: [0, 0] for c in catalog.cards if c.mode == "shadow"}
    channels: dict[str, list[int]] = {}
    for claim in data.claims:
        target = shadow_cards if claim.shadow else live_cards
        counts = target.setdefault(claim.card_id, [0, 0])
        counts[0] += claim.this_week
        counts[1] += claim.previous_week
        if not claim.shadow:
            per_channel = channels.setdefault(claim.channel_id, [0, 0])
            per_channel[0] += claim.this_week
            per_channel[1] += claim.previous_week

    cards = tuple(
        CardTotal(card_id, card_name(card_id), this, prev)
        for card_id, (this, prev) in sorted(live_cards.items(), key=lambda item: card_key(item[0]))
    )
    shadow = tuple(
        ShadowTotal(card_id, card_name(card_id), this, prev)
        for card_id, (this, prev) in sorted(shadow_cards.items(), key=lambda item: card_key(item[0]))
    )
    channel_totals = tuple(
        sorted(
            (
                ChannelTotal(ch, data.channel_names.get(ch), this, prev)
                for ch, (this, prev) in channels.items()
                if this or prev
            ),
            key=lambda t: (-t.this_week, -t.previous_week, t.channel_id),
        )
    )
    total_this = sum(c.this_week for c in cards)
    total_prev = sum(c.previous_week for c in cards)
    balance, overall = _balances(data)
    return Digest(
        workspace_id=data.workspace_id,
        week=data.week,
        total_this_week=total_this,
        total_previous_week=total_prev,
        cards=cards,
        channels=channel_totals,
        balance=balance,
        overall_balance=overall,
        feedback=_feedback(data, card_name, card_key),
        shadow=shadow,
        examples=_examples(_showable(data, posted_in), card_name, data.channel_names, max_examples),
        question=question_of_week(catalog, data.week),
        quiet=total_this == 0 and sum(s.this_week for s in shadow) == 0,
        workspace_name=data.workspace_name,
    )


def trend_weeks(week: IsoWeek, count: int = TREND_WEEKS) -> tuple[IsoWeek, ...]:
    """The `count` weeks ending with `week`, oldest first."""
    return tuple(week.shift(offset) for offset in range(1 - count, 1))


def direction_of(shares: Sequence[float | None], band: float = STEADY_BAND) -> Direction:
    """Whether the benchmark-leaning share falls ("improving") or rises ("worsening") over the weeks that have one.

    Uses the least-squares slope over the weeks with data (their positions kept); fewer than two such weeks,
    a slope within `band` per week is "steady"; fewer than two such weeks is "new" (one week says nothing of a trend).
    """
    points = [(float(x), y) for x, y in enumerate(shares) if y is not None]
    if len(points) < 2:
        return "new"
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    if slope <= -band:
        return "improving"
    if slope >= band:
        return "worsening"
    return "steady"


def _balances(data: DigestInput) -> tuple[tuple[ChannelBalance, ...], ChannelBalance]:
    weeks = trend_weeks(data.week)
    wanted = set(weeks)
    per_channel: dict[str, dict[IsoWeek, list[int]]] = defaultdict(dict)
    overall: dict[IsoWeek, list[int]] = {}
    for row in data.balance:
        if row.week not in wanted:
            continue
        for bucket in (per_channel[row.channel_id], overall):
            counts = bucket.setdefault(row.week, [0, 0, 0])
            counts[0] += row.benchmark_messages
            counts[1] += row.user_outcome_messages
            counts[2] += row.messages

    def balance_of(channel_id: str | None, by_week: dict[IsoWeek, list[int]]) -> ChannelBalance:
        trend = tuple(BalancePoint(w, *by_week.get(w, (0, 0, 0))) for w in weeks)
        name = data.channel_names.get(channel_id) if channel_id else None
        return ChannelBalance(channel_id, name, trend, direction_of([p.share for p in trend]))

    channels = [balance_of(ch, by_week) for ch, by_week in per_channel.items()]
    channels.sort(key=lambda b: (-b.this_week.messages, -(sum(p.messages for p in b.trend)), b.channel_id or ""))
    return tuple(channels), balance_of(None, overall)


def _feedback(
    data: DigestInput,
    card_name: _NameOf,
    card_key: _KeyOf,
) -> tuple[CardFeedback, ...]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(VERDICTS, 0))
    for row in data.feedback:
        if row.verdict in VERDICTS and row.count > 0:
            counts[row.card_id][row.verdict] += row.count
    return tuple(
        CardFeedback(card_id, card_name(card_id), c["helpful"], c["not_relevant"], c["has_evidence"])
        for card_id, c in sorted(counts.items(), key=lambda item: card_key(item[0]))
    )


def _showable(data: DigestInput, posted_in: str | None) -> list[Example]:
    """The examples a digest posted in `posted_in` may show: that channel's, with text, not hidden."""
    return [
        e for e in data.examples
        if e.excerpt.strip() and e.channel_id not in data.hidden_channels
        and (posted_in is None or e.channel_id == posted_in)
    ]


def _examples(
    examples: Iterable[Example],
    card_name: _NameOf,
    channel_names: dict[str, str],
    limit: int,
) -> tuple[ExampleItem, ...]:
    """Up to `limit`, taken in turn from each card (its most confident first), so one busy card cannot fill them
    all; shown highest confidence first, ties to the earlier message, then channel and text (a stable order)."""
    def rank(e: Example) -> tuple[float, datetime, str, str, str]:
        return (-e.confidence, e.created_at, e.channel_id, e.card_id, e.excerpt)

    per_card: dict[str, list[Example]] = defaultdict(list)
    for example in sorted(examples, key=rank):
        per_card[example.card_id].append(example)
    queues = sorted(per_card.values(), key=lambda q: rank(q[0]))
    chosen: list[Example] = []
    while len(chosen) < max(limit, 0) and any(queues):
        for queue in queues:
            if queue and len(chosen) < limit:
                chosen.append(queue.pop(0))
    ranked = sorted(chosen, key=rank)
    return tuple(
        ExampleItem(
            card_id=e.card_id,
            card_name=card_name(e.card_id),
            channel_id=e.channel_id,
            channel_name=channel_names.get(e.channel_id),
            excerpt=e.excerpt,
            confidence=e.confidence,
            created_at_iso=e.created_at.isoformat(),
            permalink=e.permalink,
        )
        for e in ranked
    )


def question_of_week(catalog: Catalog, week: IsoWeek) -> QuestionOfWeek | None:
    """One of the cards' questions, the same for everyone in a given week and the next one in line the week after.

    The questions of all cards (catalog order) are cycled through by the week's running number, so every question
    comes round before any repeats, across year boundaries too.
    """
    pool = [(card, question) for card in catalog.cards for question in card.questions]
    if not pool:
        return None
    card, question = pool[(week.monday.toordinal() // 7) % len(pool)]
    return QuestionOfWeek(card.id, card.name, question)

