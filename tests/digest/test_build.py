"""build_digest: totals and deltas, balance trends, feedback rates, shadow cards, examples, question of the week."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from bot.catalog import Catalog
from bot.digest.build import build_digest, direction_of, question_of_week, trend_weeks
from bot.digest.model import BalanceWeek, ClaimCount, DigestInput, Example, FeedbackCount
from bot.week import IsoWeek

WEEK = IsoWeek(2026, 47)


def _balance(channel: str, shares_oldest_first: list[tuple[int, int]]) -> tuple[BalanceWeek, ...]:
    weeks = trend_weeks(WEEK, len(shares_oldest_first))
    return tuple(BalanceWeek(channel, w, b, u, b + u + 5) for w, (b, u) in zip(weeks, shares_oldest_first, strict=True))


def test_card_and_channel_totals_with_week_over_week_change(catalog: Catalog) -> None:
    """Claims are summed per card (named from the catalog) and per channel, each with its change vs last week."""
    data = DigestInput(
        "T1",
        WEEK,
        claims=(
            ClaimCount("FM-16", "C1", 5, 2),
            ClaimCount("FM-16", "C2", 2, 0),
            ClaimCount("RF-39", "C2", 1, 3),
            ClaimCount("RF-39", "C3", 0, 4),
        ),
        channel_names={"C1": "general"},
    )
    d = build_digest(data, catalog)
    cards = {c.card_id: c for c in d.cards}
    assert cards["FM-16"].name == "The Benchmark Mirage"
    assert (cards["FM-16"].this_week, cards["FM-16"].previous_week, cards["FM-16"].change) == (7, 2, 5)
    assert (cards["RF-39"].this_week, cards["RF-39"].previous_week, cards["RF-39"].change) == (1, 7, -6)
    assert [(c.channel_id, c.this_week, c.change) for c in d.channels] == [("C1", 5, 3), ("C2", 3, 0), ("C3", 0, -4)]
    assert d.channels[0].name == "general" and d.channels[1].name is None
    assert (d.total_this_week, d.total_previous_week, d.total_change) == (8, 9, -1)
    assert not d.quiet


def test_every_live_catalog_card_is_listed_even_without_claims(catalog: Catalog) -> None:
    """A live card with no claims still appears (with zeros), in catalog order; unknown card ids are kept and marked."""
    data = DigestInput("T1", WEEK, claims=(ClaimCount("ZZ-9", "C1", 1, 0),))
    d = build_digest(data, catalog)
    live = [c.id for c in catalog.cards if c.mode == "live"]
    assert [c.card_id for c in d.cards] == [*live, "ZZ-9"]
    assert all(c.this_week == 0 for c in d.cards[:-1])
    assert d.cards[-1].name == "ZZ-9 (not in the catalog)"


def test_shadow_cards_are_counted_apart_from_live_totals(catalog: Catalog) -> None:
    """Shadow claims go to `shadow` as would-have-replied counts and never into card, channel or overall totals."""
    data = DigestInput(
        "T1",
        WEEK,
        claims=(
            ClaimCount("FM-16", "C1", 2, 1),
            ClaimCount("FM-16", "C9", 6, 2, shadow=True),
            ClaimCount("RF-39", "C1", 3, 0, shadow=True),
        ),
    )
    d = build_digest(data, catalog)
    assert d.total_this_week == 2 and d.total_previous_week == 1
    assert [c.channel_id for c in d.channels] == ["C1"] and d.channels[0].this_week == 2
    assert {s.card_id: (s.this_week, s.previous_week) for s in d.shadow} == {"FM-16": (6, 2), "RF-39": (3, 0)}
    assert next(s for s in d.shadow if s.card_id == "FM-16").change == 4


def test_balance_trend_directions(catalog: Catalog) -> None:
    """A falling benchmark share is improving, a rising one worsening, a flat one steady; 8 weeks, oldest first."""
    falling = [(9, 1), (8, 2), (8, 2), (6, 4), (5, 5), (4, 6), (3, 7), (2, 8)]
    rising = list(reversed(falling))
    flat = [(5, 5)] * 8
    data = DigestInput(
        "T1", WEEK, balance=_balance("CF", falling) + _balance("CR", rising) + _balance("CS", flat)
    )
    d = build_digest(data, catalog)
    by_channel = {b.channel_id: b for b in d.balance}
    assert by_channel["CF"].direction == "improving"
    assert by_channel["CR"].direction == "worsening"
    assert by_channel["CS"].direction == "steady"
    assert [p.week for p in by_channel["CF"].trend] == list(trend_weeks(WEEK))
    assert by_channel["CF"].trend[-1].week == WEEK
    assert by_channel["CF"].share == 0.2
    assert (by_channel["CF"].this_week.benchmark_messages, by_channel["CF"].this_week.user_outcome_messages) == (2, 8)
    assert d.overall_balance.channel_id is None
    assert d.overall_balance.this_week.benchmark_messages == 2 + 9 + 5


def test_balance_ignores_weeks_outside_the_window_and_gaps_stay_empty(catalog: Catalog) -> None:
    """Rows older than 8 weeks or after the digest week are ignored; weeks without talk have no share."""
    rows = (
        BalanceWeek("C1", WEEK.shift(-8), 100, 0, 100),
        BalanceWeek("C1", WEEK.shift(1), 100, 0, 100),
        BalanceWeek("C1", WEEK.shift(-3), 1, 3, 10),
        BalanceWeek("C1", WEEK, 0, 0, 7),
    )
    d = build_digest(DigestInput("T1", WEEK, balance=rows), catalog)
    (b,) = d.balance
    assert [p.share for p in b.trend] == [None, None, None, None, 0.25, None, None, None]
    assert b.this_week.messages == 7 and b.share is None
    assert b.direction == "new"  # a single week with data says nothing about direction


def test_direction_uses_the_slope_and_a_steady_band() -> None:
    """Small wobbles are steady; a clear fall over weeks with gaps still reads as improving."""
    assert direction_of([0.5, 0.51, 0.49, 0.5, 0.52, 0.5, 0.49, 0.5]) == "steady"
    assert direction_of([0.9, None, None, 0.6, None, None, None, 0.3]) == "improving"
    assert direction_of([0.1, 0.2]) == "worsening"
    assert direction_of([None] * 8) == "new"
    assert direction_of([None] * 7 + [1.0]) == "new"


def test_feedback_counts_and_helpful_rate_per_card(catalog: Catalog) -> None:
    """Verdicts are summed per card; helpful rate = helpful / all answers; unknown verdicts are ignored."""
    data = DigestInput(
        "T1",
        WEEK,
        feedback=(
            FeedbackCount("FM-16", "helpful", 3),
            FeedbackCount("FM-16", "not_relevant", 1),
            FeedbackCount("FM-16", "has_evidence", 2),
            FeedbackCount("FM-16", "helpful", 1),
            FeedbackCount("RF-39", "not_relevant", 4),
            FeedbackCount("RF-39", "thumbs_sideways", 9),
        ),
    )
    d = build_digest(data, catalog)
    fm, rf = d.feedback
    assert (fm.card_id, fm.helpful, fm.not_relevant, fm.has_evidence, fm.total) == ("FM-16", 4, 1, 2, 7)
    assert fm.helpful_rate == 4 / 7
    assert (rf.card_id, rf.total, rf.helpful_rate) == ("RF-39", 4, 0.0)
    assert rf.name == "Benchmarks are discussed more than real user outcomes"


def test_quiet_week_when_no_claims_this_week(catalog: Catalog) -> None:
    """No claims this week (even with some last week) makes the digest quiet; shadow matches alone do not."""
    quiet = build_digest(DigestInput("T1", WEEK, claims=(ClaimCount("FM-16", "C1", 0, 3),)), catalog)
    assert quiet.quiet and quiet.total_this_week == 0 and quiet.total_previous_week == 3
    empty = build_digest(DigestInput("T1", WEEK), catalog)
    assert empty.quiet and empty.channels == () and empty.balance == () and empty.question is not None
    shadow_only = build_digest(DigestInput("T1", WEEK, claims=(ClaimCount("FM-16", "C1", 2, 0, shadow=True),)), catalog)
    assert not shadow_only.quiet


def test_question_of_the_week_is_deterministic_and_cycles(catalog: Catalog) -> None:
    """The same week always gets the same question; consecutive weeks differ; all questions come round in turn."""
    pool = [q for card in catalog.cards for q in card.questions]
    assert question_of_week(catalog, WEEK) == question_of_week(catalog, IsoWeek.parse("2026-W47"))
    seen = [question_of_week(catalog, WEEK.shift(i)) for i in range(len(pool))]
    texts = [q.text for q in seen if q is not None]
    assert sorted(texts) == sorted(pool)
    assert all(a != b for a, b in itertools.pairwise(texts))
    # across the year boundary the cycle continues rather than restarting
    last_2026 = IsoWeek(2026, 53)
    first_2027 = last_2026.shift(1)
    a, b = question_of_week(catalog, last_2026), question_of_week(catalog, first_2027)
    assert a is not None and b is not None and a.text != b.text
    assert build_digest(DigestInput("T1", WEEK), catalog).question == question_of_week(catalog, WEEK)


def test_examples_ordered_by_confidence_then_time_and_capped(catalog: Catalog) -> None:
    """Examples come highest confidence first, earlier message first on ties, at most five, escaped text untouched."""
    t0 = datetime(2026, 11, 17, 9, tzinfo=UTC)
    examples = (
        Example("FM-16", "C1", "low", 0.61, t0),
        Example("FM-16", "C1", "later tie", 0.9, t0 + timedelta(hours=2)),
        Example("RF-39", "C2", "earlier tie &lt;@U1&gt;", 0.9, t0, "https://x.slack.com/archives/C2/p1"),
        Example("FM-16", "C3", "top", 0.97, t0 + timedelta(days=1)),
        Example("FM-16", "C1", "mid", 0.8, t0),
        Example("FM-16", "C1", "mid2", 0.7, t0),
    )
    d = build_digest(DigestInput("T1", WEEK, examples=examples, channel_names={"C2": "evals"}), catalog)
    assert [e.excerpt for e in d.examples] == ["top", "earlier tie &lt;@U1&gt;", "later tie", "mid", "mid2"]
    second = d.examples[1]
    assert (second.card_name, second.channel_name, second.permalink) == (
        "Benchmarks are discussed more than real user outcomes",
        "evals",
        "https://x.slack.com/archives/C2/p1",
    )
    assert second.created_at_iso == "2026-11-17T09:00:00+00:00"
    shuffled = DigestInput("T1", WEEK, examples=tuple(reversed(examples)), channel_names={"C2": "evals"})
    assert build_digest(shuffled, catalog).examples == d.examples


def test_examples_of_a_posted_digest_come_from_its_own_channel_only(catalog: Catalog) -> None:
    """posted_in=C1 keeps C1's examples only; hidden (shadow-mode) channels and text-less incidents never show,
    even in the operator's whole-workspace view; counts still cover every channel."""
    t0 = datetime(2026, 11, 17, 9, tzinfo=UTC)
    data = DigestInput(
        "T1", WEEK,
        claims=(ClaimCount("FM-16", "C1", 1, 0), ClaimCount("FM-16", "C2", 1, 0), ClaimCount("FM-16", "C9", 1, 0),
                ClaimCount("FM-16", "G1", 1, 0)),
        examples=(Example("FM-16", "C1", "one", 0.9, t0), Example("FM-16", "C2", "two", 0.95, t0),
                  Example("FM-16", "C9", "shadowed", 0.99, t0), Example("FM-16", "G1", "", 0.99, t0)),
        hidden_channels=frozenset({"C9"}),
    )
    assert [e.excerpt for e in build_digest(data, catalog, posted_in="C1").examples] == ["one"]
    assert [e.excerpt for e in build_digest(data, catalog, posted_in="C9").examples] == []
    assert [e.excerpt for e in build_digest(data, catalog).examples] == ["two", "one"]
    assert {c.channel_id for c in build_digest(data, catalog, posted_in="C1").channels} == {"C1", "C2", "C9", "G1"}


def test_examples_come_from_every_card_with_claims(catalog: Catalog) -> None:
    """Six very confident FM-16 claims and one modest RF-39 claim: the five examples include the RF-39 one."""
    t0 = WEEK.start + timedelta(hours=1)
    examples = tuple(Example("FM-16", "C1", f"fm {i}", 0.99 - i / 100, t0 + timedelta(minutes=i)) for i in range(6))
    examples += (Example("RF-39", "C2", "rf", 0.61, t0),)
    d = build_digest(DigestInput("T1", WEEK, examples=examples), catalog)
    assert [e.excerpt for e in d.examples] == ["fm 0", "fm 1", "fm 2", "fm 3", "rf"]
