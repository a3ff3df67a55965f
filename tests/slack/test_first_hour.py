"""Slack-side rough edges: no false start-up warning, unknown modes and cards named, a changed vote said."""

from __future__ import annotations

import logging

import pytest

from bot.policy import MessageFacts
from bot.service.commands import CommandCall, run_command
from bot.service.deps import Deps
from bot.service.feedback import give_feedback
from bot.service.messages import IncomingMessage, handle_message
from bot.slack.app import build_app

from .conftest import new_ts
from .double import SlackDouble

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
    first = give_feedback(deps, str(outcome.incident_id), "U2", "helpful")
    assert first.note is not None and "changed" not in first.note.text
    changed = give_feedback(deps, str(outcome.incident_id), "U2", "not_relevant")
    assert changed.collapse is not None
    assert changed.note is not None
    assert changed.note.text == "You changed your answer from _helpful_ to _not relevant_: the new one counts."
    again = give_feedback(deps, str(outcome.incident_id), "U2", "not_relevant")
    assert again.note is None
