"""load_digest_input: the weekly aggregates the digest is built from, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from bot.digest.model import TREND_WEEKS, ClaimCount, FeedbackCount
from bot.store.balance import add_daily_balance
from bot.store.digest_queries import load_digest_input
from bot.store.engine import session_scope
from bot.store.feedback import record_feedback
from bot.store.incidents import record_incident

from .factory import WEEK, at, incident


def _seed(engine: Engine) -> None:
    with session_scope(engine) as s:
        a, _ = record_incident(s, incident(created_at=at(hours=1), confidence=0.70, excerpt="a"))
        b, _ = record_incident(s, incident(created_at=at(days=2), confidence=0.95, excerpt="b",
                                           permalink="https://x.slack.com/b"))
        record_incident(s, incident(created_at=at(days=6, hours=13), confidence=0.60, excerpt="c"))  # Sun 23:00
        record_incident(s, incident(created_at=at(days=-1), confidence=0.99, excerpt="last week"))
        record_incident(s, incident(created_at=at(days=-8), excerpt="two weeks ago"))
        record_incident(s, incident(created_at=at(days=7), excerpt="next week"))
        record_incident(s, incident(created_at=at(days=1), card_id="RF-39", card_mode="shadow", channel_id="C2",
                                    confidence=0.90, excerpt="shadow"))
        record_incident(s, incident(created_at=at(days=1), workspace_id="T2", confidence=1.0, excerpt="other ws"))
        record_feedback(s, a.id or 0, "U7", "not_relevant", now=at(days=1))
        record_feedback(s, a.id or 0, "U7", "helpful", now=at(days=2))  # replaces the first answer
        record_feedback(s, b.id or 0, "U8", "helpful", now=at(days=3))
        record_feedback(s, b.id or 0, "U9", "has_evidence", now=at(days=7, hours=1))  # next week
        for day in range(7):
            add_daily_balance(s, "T1", "C1", (WEEK.start + timedelta(days=day)).date(), messages=10, benchmark=2,
                              user_outcome=1)
        add_daily_balance(s, "T1", "C1", WEEK.shift(-3).monday, messages=5, benchmark=5)
        add_daily_balance(s, "T1", "C1", WEEK.shift(-8).monday, messages=100)  # outside the 8-week trend
        add_daily_balance(s, "T1", "C2", WEEK.shift(-7).monday + timedelta(days=6), messages=4, user_outcome=4)
        add_daily_balance(s, "T2", "C1", WEEK.monday, messages=50)


def test_claims_this_week_against_the_previous(engine: Engine) -> None:
    """Claims are counted per card and channel for this week and last; shadow cards are flagged; other
    weeks and workspaces are left out."""
    _seed(engine)
    with session_scope(engine) as s:
        data = load_digest_input(s, "T1", WEEK)
    assert data.workspace_id == "T1" and data.week == WEEK
    assert data.claims == (
        ClaimCount("FM-16", "C1", this_week=3, previous_week=1, shadow=False),
        ClaimCount("RF-39", "C2", this_week=1, previous_week=0, shadow=True),
    )


def test_balance_covers_eight_weeks_per_channel(engine: Engine) -> None:
    """The balance has TREND_WEEKS weeks per channel ending with the digest week, zero-filled, summed per week."""
    _seed(engine)
    with session_scope(engine) as s:
        data = load_digest_input(s, "T1", WEEK)
    by_key = {(b.channel_id, b.week): b for b in data.balance}
    assert len(data.balance) == 2 * TREND_WEEKS
    assert [b.week for b in data.balance if b.channel_id == "C1"] == [WEEK.shift(i) for i in range(-7, 1)]
    this = by_key[("C1", WEEK)]
    assert (this.messages, this.benchmark_messages, this.user_outcome_messages) == (70, 14, 7)
    assert by_key[("C1", WEEK.shift(-3))].benchmark_messages == 5
    assert sum(b.messages for b in data.balance if b.channel_id == "C1") == 75
    assert by_key[("C2", WEEK.shift(-7))].user_outcome_messages == 4


def test_feedback_counts_this_week_per_card(engine: Engine) -> None:
    """Feedback given during the week is counted per card and verdict; a replaced answer counts once."""
    _seed(engine)
    with session_scope(engine) as s:
        data = load_digest_input(s, "T1", WEEK)
    assert data.feedback == (FeedbackCount("FM-16", "helpful", 2),)


def test_examples_are_the_most_confident_of_the_week(engine: Engine) -> None:
    """Examples are this week's incidents of this workspace, most confident first, at most `examples` per card
    (the digest then takes them in turn from each card)."""
    _seed(engine)
    with session_scope(engine) as s:
        top = load_digest_input(s, "T1", WEEK, examples=3).examples
        none = load_digest_input(s, "T1", WEEK, examples=0).examples
    assert [e.excerpt for e in top] == ["b", "shadow", "a", "c"]
    assert max(sum(1 for e in top if e.card_id == card) for card in {e.card_id for e in top}) <= 3
    assert top[0].permalink == "https://x.slack.com/b"
    assert top[0].created_at == at(days=2)
    assert none == ()


def test_empty_workspace_gives_an_empty_input(engine: Engine) -> None:
    """A workspace with no data yields an input with no claims, balance, feedback or examples."""
    with session_scope(engine) as s:
        data = load_digest_input(s, "T9", WEEK)
    assert (data.claims, data.balance, data.feedback, data.examples) == ((), (), (), ())


def test_examples_for_one_channel_skip_other_channels_hidden_ones_and_textless_rows(engine: Engine) -> None:
    """channel_examples keeps one channel's incidents with text; a shadow-mode channel's are never loaded, and a
    private channel's incident (stored without text) is never an example anywhere."""
    from bot.store.channels import set_channel_mode
    from bot.store.digest_queries import channel_examples

    _seed(engine)
    with session_scope(engine) as s:
        record_incident(s, incident(created_at=at(days=1), channel_id="G1", confidence=0.99, excerpt=""))
        record_incident(s, incident(created_at=at(days=1), channel_id="C3", confidence=0.98, excerpt="shadowed"))
        set_channel_mode(s, "T1", "C3", "shadow")
    with session_scope(engine) as s:
        base = load_digest_input(s, "T1", WEEK, examples=0)
        assert base.examples == () and base.hidden_channels == frozenset({"C3"})
        assert [e.excerpt for e in channel_examples(s, base, "C1").examples] == ["b", "a", "c"]
        assert [e.excerpt for e in channel_examples(s, base, "C2").examples] == ["shadow"]
        assert channel_examples(s, base, "C3").examples == ()
        assert channel_examples(s, base, "G1").examples == ()
        everything = load_digest_input(s, "T1", WEEK, examples=10).examples
    assert "shadowed" not in [e.excerpt for e in everything] and all(e.excerpt for e in everything)
