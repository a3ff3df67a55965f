"""A digest channel the bot is not a member of (`not_in_channel`): said in the log and in `/mirage digest`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from bot.bench.support.slack_double import SlackDouble, api_error
from bot.catalog import Catalog
from bot.jobs.digest import post_due_digests
from bot.service.commands import CommandCall, run_command
from bot.service.deps import Deps
from bot.slack.client import build_client
from bot.slack.posting import digest_poster
from bot.store.channels import digest_targets, set_digest
from bot.store.digest_runs import digest_run
from bot.store.engine import session_scope

MONDAY_MORNING = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_not_in_channel_is_explained_in_the_log_and_in_slash_digest(
    slack: SlackDouble, deps: Deps, catalog: Catalog, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack answers not_in_channel: the run is failed, the log says to /invite Mirage, and `/mirage digest` in
    that channel says the same; the channel stays a target, so the digest goes out once Mirage is invited."""
    with session_scope(deps.engine) as s:
        set_digest(s, "T1", "C0NOTIN", True)
    slack.script("chat.postMessage", api_error("not_in_channel"))
    poster = digest_poster(build_client(deps.settings), deps)
    with caplog.at_level(logging.WARNING, logger="bot.jobs.digest"):
        assert post_due_digests(deps.engine, catalog, deps.settings, poster, MONDAY_MORNING) == []
    assert any("Mirage is not a member of C0NOTIN" in r.getMessage() and "/invite @Mirage" in r.getMessage()
               for r in caplog.records)
    with session_scope(deps.engine) as s:
        run = digest_run(s, "T1", "C0NOTIN", "2026-W47")
        assert run is not None and run.status == "failed"
        assert ("T1", "C0NOTIN") in digest_targets(s, [])
    answer = run_command(deps, CommandCall("T1", "C0NOTIN", "U1", "digest"))
    assert "The 2026-W47 digest could not be posted here" in answer.text
    assert "`/invite @Mirage` in that channel" in answer.text
