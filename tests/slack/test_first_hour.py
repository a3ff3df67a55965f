"""Slack-side rough edges: no false start-up warning, unknown modes and cards named, a changed vote said."""

from __future__ import annotations

import logging

import pytest

from bot.bench.support.slack_double import SlackDouble
from bot.policy import MessageFacts
from bot.service.commands import CommandCall, run_command
from bot.service.deps import Deps
from bot.service.feedback import give_feedback
from bot.service.messages import IncomingMessage, handle_message
from bot.slack.app import build_app

from .conftest import new_ts

CLAIM = "It scored highest on MMLU, so it should be the best choice."


def test_no_token_will_be_unused_warning_at_start(
    slack: SlackDouble, deps: Deps, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """SLACK_BOT_TOKEN in the environment and our own client: Bolt's "token will be unused" is not logged."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    with caplog.at_level(logging.WARNING):
        build_app(deps.settings, deps)
    assert not [r for r in caplog.records if "will be unused" in r.getMessage()]


def test_unknown_mode_is_named_and_nothing_changes(deps: Deps) -> None:
    """`/mirage mode loud` says there is no such mode (and shows the current one) instead of silently listing."""
    answer = run_command(deps, CommandCall("T1", "C1", "U1", "mode loud"))
    assert answer.text.startswith("There is no mode `loud`, so nothing changed. This channel's mode is *reply*")


def test_unknown_card_id_lists_the_cards(deps: Deps) -> None:
    """`/mirage FM-99` answers "no card FM-99" with the card ids, not the whole help."""
    answer = run_command(deps, CommandCall("T1", "C1", "U1", "FM-99"))
    assert answer.text == "There is no card FM-99; the cards are FM-16, RF-39. `/mirage list` shows them."


def test_a_changed_vote_is_said(deps: Deps) -> None:
    """A second, different answer from the same person replaces the first and says so; the same answer again
    is just thanked."""
    outcome = handle_message(deps, IncomingMessage("T1", "C1", "Ev-vote", CLAIM, MessageFacts(ts=new_ts(), user="U1")))
    assert outcome.incident_id is not None
    first = give_feedback(deps, str(outcome.incident_id), "U2", "helpful", workspace_id="T1", channel_id="C1")
    assert first.note is not None and "changed" not in first.note.text
    changed = give_feedback(deps, str(outcome.incident_id), "U2", "not_relevant", workspace_id="T1", channel_id="C1")
    assert changed.collapse is not None
    assert changed.note is not None
    assert changed.note.text == "You changed your answer from _helpful_ to _not relevant_: the new one counts."
    again = give_feedback(deps, str(outcome.incident_id), "U2", "not_relevant", workspace_id="T1", channel_id="C1")
    assert again.note is None


def test_home_counts_what_slash_stats_counts(deps: Deps) -> None:
    """A claim in a channel nobody configured: App Home says 1 claim, as `/mirage stats` there does, and lists
    the channel; before, Home counted only channels with a settings row and said "none"."""
    from bot.service.home import home
    from bot.slack.blocks import home_view

    handle_message(deps, IncomingMessage("T1", "C0NEW", "Ev-home", CLAIM, MessageFacts(ts=new_ts(), user="U1")))
    stats = run_command(deps, CommandCall("T1", "C0NEW", "U1", "stats"))
    assert "Claims noticed: 1 (FM-16: 1)" in stats.text
    view = str(home_view(home(deps, "T1")))
    assert "Claims noticed: 1 (FM-16: 1)" in view and "<#C0NEW>: reply" in view


def test_cooldown_command_sets_the_channel_cooldown(deps: Deps) -> None:
    """`/mirage cooldown` is the command behind set_channel_cooldown: off lets a second claim through at once,
    default goes back to COOLDOWN_MINUTES, and the current value is shown."""
    assert "30 minutes (the workspace default)" in run_command(deps, CommandCall("T1", "C5", "U1", "cooldown")).text
    off = run_command(deps, CommandCall("T1", "C5", "U1", "cooldown off"))
    assert off.public and "no cooldown" in off.text
    for i in range(2):
        outcome = handle_message(deps, IncomingMessage("T1", "C5", f"Ev-cd{i}", CLAIM,
                                                       MessageFacts(ts=new_ts(), user=f"U{i}")))
        assert outcome.decision.action == "reply"
    assert "a 10-minute cooldown" in run_command(deps, CommandCall("T1", "C5", "U1", "cooldown 10m")).text
    assert "10 minutes (set for this channel)" in run_command(deps, CommandCall("T1", "C5", "U1", "cooldown")).text
    assert "workspace default (30 min)" in run_command(deps, CommandCall("T1", "C5", "U1", "cooldown default")).text
    assert "can't read" in run_command(deps, CommandCall("T1", "C5", "U1", "cooldown soon")).text


def test_names_come_from_auth_test_and_conversations_info(slack: SlackDouble, deps: Deps) -> None:
    """The workspace name (auth.test) and each unnamed channel's name (conversations.info) are stored, and the
    digest text then says #name; channels already named are not asked about again."""
    from bot.digest.build import build_digest
    from bot.digest.render import to_text
    from bot.slack.client import build_client
    from bot.slack.names import remember_names
    from bot.store.digest_queries import load_digest_input
    from bot.store.engine import session_scope
    from bot.store.names import workspace_names
    from bot.week import IsoWeek

    ts = new_ts()
    handle_message(deps, IncomingMessage("T0TEAM", "C0EVALS", "Ev-name", CLAIM, MessageFacts(ts=ts, user="U1")))
    client = build_client(deps.settings)
    assert remember_names(client, deps.engine) == "T0TEAM"
    assert [c.body["channel"] for c in slack.of("conversations.info")] == ["C0EVALS"]
    remember_names(client, deps.engine)
    assert len(slack.of("conversations.info")) == 1
    with session_scope(deps.engine) as s:
        assert workspace_names(s) == {"T0TEAM": "Test"}
        data = load_digest_input(s, "T0TEAM", IsoWeek.of(deps.clock()))
    assert "#name-of-c0evals: 1 (+1)" in to_text(build_digest(data, deps.catalog))
