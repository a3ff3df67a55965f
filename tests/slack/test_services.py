"""The services without Slack, on SQLite and PostgreSQL: message handling, commands, search and the reply blocks."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.catalog import Catalog
from bot.detection import Detection, Detector
from bot.policy import MessageFacts
from bot.reply import compose_reply
from bot.service.commands import CommandCall, parse_duration, run_command
from bot.service.deps import Deps
from bot.service.messages import IncomingMessage, excerpt, handle_message
from bot.service.model import Glance, HomeTab
from bot.service.search import search, stem
from bot.settings import Settings
from bot.slack.blocks import card_blocks, home_view, reply_blocks, text_blocks

CLAIM = "It scored highest on MMLU, so it should be the best choice."
NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
_n = itertools.count(1)


def message(text: str = CLAIM, user: str = "U1", channel: str = "C1", at: datetime = NOW,
            thread_ts: str | None = None, event_id: str | None = None) -> IncomingMessage:
    ts = f"{at.timestamp():.0f}.{next(_n):06d}"
    return IncomingMessage("T1", channel, event_id or f"Ev{ts}", text,
                           MessageFacts(ts=ts, user=user, thread_ts=thread_ts))


@pytest.fixture
def service(engine: Engine, detector: Detector, catalog: Catalog) -> Deps:
    settings = Settings(_env_file=None, cooldown_minutes=30, user_daily_cap=2)  # type: ignore[call-arg]
    return Deps(engine=engine, detector=detector, catalog=catalog, settings=settings, clock=lambda: NOW)


def test_claim_is_recorded_once_per_event(service: Deps) -> None:
    """The same event twice (a retry) gives one incident; the second outcome is a duplicate that posts nothing."""
    first = handle_message(service, message(event_id="Ev1"))
    again = handle_message(service, message(event_id="Ev1"))
    assert first.should_post and first.incident_id is not None and first.decision.action == "reply"
    assert again.duplicate and not again.should_post


def test_cooldown_then_daily_cap(service: Deps) -> None:
    """After a reply, the channel is quiet for the cooldown; elsewhere the author's daily cap stops a third reply."""
    assert handle_message(service, message(at=NOW - timedelta(minutes=10))).decision.action == "reply"
    cooled = handle_message(service, message(channel="C1", at=NOW))
    assert (cooled.decision.action, cooled.decision.reason) == ("log", "channel cooldown (20 min left of 30)")
    assert handle_message(service, message(channel="C2")).decision.action == "reply"
    capped = handle_message(service, message(channel="C3"))
    assert (capped.decision.action, capped.decision.reason) == ("log", "daily cap reached for this author (2)")


def test_thread_is_read_only_for_a_claim_in_a_thread(service: Deps) -> None:
    """fetch_thread is called for a claim in a thread, never for a non-claim or a top-level claim."""
    reads: list[str] = []

    def reader() -> list[str]:
        reads.append("read")
        return []

    handle_message(service, message("lunch?", thread_ts="1.0"), fetch_thread=reader)
    handle_message(service, message(), fetch_thread=reader)
    handle_message(service, message(thread_ts="1.0"), fetch_thread=reader)
    assert reads == ["read"]


def test_mute_and_unmute_commands(service: Deps) -> None:
    """/mirage mute silences the caller's claims; /mirage unmute brings the replies back."""
    call = CommandCall("T1", "C1", "U1", "mute 1d")
    assert "won't reply" in run_command(service, call).text
    assert handle_message(service, message()).decision.reason == "the author muted Mirage"
    assert run_command(service, CommandCall("T1", "C1", "U1", "unmute")).text.startswith("Welcome back")
    assert run_command(service, CommandCall("T1", "C1", "U1", "unmute")).text == "You weren't muted."
    assert handle_message(service, message()).decision.action == "reply"
    assert "can't read" in run_command(service, CommandCall("T1", "C1", "U1", "mute soonish")).text


def test_mode_off_skips_everything(service: Deps) -> None:
    """In an 'off' channel a claim is neither answered nor recorded."""
    run_command(service, CommandCall("T1", "C1", "U1", "mode off"))
    outcome = handle_message(service, message())
    assert (outcome.decision.action, outcome.incident_id) == ("none", None)


def test_stats_count_claims_and_messages(service: Deps) -> None:
    """/mirage stats shows this channel's claims per card and its message balance."""
    handle_message(service, message())
    handle_message(service, message("lunch at noon?"))
    text = run_command(service, CommandCall("T1", "C1", "U1", "stats")).text
    assert "Claims noticed: 1 (FM-16: 1)" in text
    assert "Messages read: 2; about benchmarks: 1" in text


def test_digest_follows_the_cli_week_rule_and_says_it(service: Deps) -> None:
    """/mirage digest shows the last complete week, as `mirage digest` does, and says so; `this` shows the week so
    far (with the claim just seen); a quiet default week points to where the data is."""
    handle_message(service, message())
    last = run_command(service, CommandCall("T1", "C1", "U1", "digest"))
    assert last.text.startswith("Digest of 2026-W46, the last complete week")
    assert "`/mirage digest this` for the week so far" in last.text
    assert "the newest data is in 2026-W47 (Nov 16 – 22, 2026): `/mirage digest 2026-W47`" in last.text
    this = run_command(service, CommandCall("T1", "C1", "U1", "digest this"))
    assert this.text.startswith("Digest of 2026-W47, as asked") and "FM-16 The Benchmark Mirage: 1" in this.text
    named = run_command(service, CommandCall("T1", "C1", "U1", "digest 2026-W47"))
    assert "FM-16 The Benchmark Mirage: 1" in named.text


def test_digest_schedule_is_the_configured_one(engine: Engine, detector: Detector, catalog: Catalog) -> None:
    """`/mirage digest on` names the configured day, time and zone (not always "Mondays")."""
    settings = Settings(_env_file=None, digest_day_of_week="thu", digest_hour=16,  # type: ignore[call-arg]
                        digest_tz="Europe/Berlin")
    deps = Deps(engine=engine, detector=detector, catalog=catalog, settings=settings, clock=lambda: NOW)
    on = run_command(deps, CommandCall("T1", "C7", "U1", "digest on"))
    assert "Thursdays at 16:00 (Europe/Berlin)" in on.text and "Monday" not in on.text
    preview = run_command(deps, CommandCall("T1", "C7", "U1", "digest"))
    assert "It posts Thursdays at 16:00 (Europe/Berlin)" in preview.text


def test_digest_on_and_off_opt_the_channel_in_and_out(service: Deps) -> None:
    """/mirage digest on makes the channel a digest target; off removes it; anything else explains the choices."""
    from bot.store.channels import digest_targets
    from bot.store.engine import session_scope

    on = run_command(service, CommandCall("T1", "C7", "U1", "digest on"))
    assert on.public and "will get Mirage's weekly digest" in on.text
    with session_scope(service.engine) as s:
        assert ("T1", "C7") in digest_targets(s, [])
    run_command(service, CommandCall("T1", "C7", "U1", "digest off"))
    with session_scope(service.engine) as s:
        assert ("T1", "C7") not in digest_targets(s, [])
    assert "digest on" in run_command(service, CommandCall("T1", "C7", "U1", "digest maybe")).text


@pytest.mark.parametrize(("text", "minutes"), [("30m", 30), ("2h", 120), ("1 day", 1440), ("1w", 10080),
                                               ("90 minutes", 90), ("0m", None), ("soon", None), ("-1h", None)])
def test_parse_duration(text: str, minutes: int | None) -> None:
    """Durations read as minutes, hours, days or weeks; anything else is not a duration."""
    found = parse_duration(text)
    assert (found.total_seconds() // 60 if found else None) == minutes


def test_stemming_lets_scoring_find_scored() -> None:
    """'scoring', 'scored' and 'scores' share a stem; so do 'leaderboards' and 'leaderboard'."""
    assert stem("scoring") == stem("scored") == stem("scores")
    assert stem("leaderboards") == stem("leaderboard")


@pytest.mark.parametrize(("query", "best"), [("scoring", "FM-16"), ("leaderboards", "FM-16"), ("rf-39", "RF-39"),
                                             ("user outcomes", "RF-39"), ("benchmark mirage", "FM-16")])
def test_search_ranks_best_first(catalog: Catalog, query: str, best: str) -> None:
    """Search finds cards by id, name and text, best first."""
    assert search(catalog, query)[0].id == best


def test_search_without_a_match_is_empty(catalog: Catalog) -> None:
    """Words on no card find nothing."""
    assert search(catalog, "zzyzx quux") == []


def test_reply_blocks_escape_user_text(catalog: Catalog) -> None:
    """Triggers quoted back are escaped: no `<!channel>` or `<@U…>` survives into the blocks."""
    card = catalog.card("FM-16")
    assert card is not None
    detection = Detection(fired=True, card_id="FM-16", triggers=("<!channel>", "<@U123> & co"))
    blocks = reply_blocks(compose_reply(card, detection, CLAIM), 7)
    flat = str(blocks)
    assert "<!channel>" not in flat and "<@U123>" not in flat
    assert "*&lt;!channel&gt;* + *&lt;@U123&gt; &amp; co*" in blocks[3]["elements"][0]["text"]
    assert excerpt("<!here>  hi\n&amp;") == "@\u2060here hi &amp;"


def test_card_and_home_blocks_fit_slack_limits(catalog: Catalog) -> None:
    """The card, a long text and the home view validate against Block Kit limits (3000 chars, 50 blocks)."""
    for card in catalog.cards:
        assert card_blocks(card)[0]["type"] == "header"
    long = text_blocks("\n".join(f"line {i} " + "x" * 80 for i in range(200)))
    assert all(len(b["text"]["text"]) <= 3000 for b in long)
    view = home_view(HomeTab(catalog.cards, Glance(weeks=4, claims_by_card={"FM-16": 3}), [("C1", "reply")]))
    assert view["type"] == "home" and len(view["blocks"]) <= 100
