"""Posting the weekly digest through the real Web API client, against the local Slack double."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.bench.support.slack_double import SlackDouble, api_error
from bot.catalog import Catalog
from bot.jobs.digest import post_due_digests
from bot.service.deps import Deps
from bot.slack.client import build_client
from bot.slack.posting import digest_poster
from bot.store.channels import digest_targets, set_digest
from bot.store.digest_runs import digest_run
from bot.store.engine import session_scope

MONDAY_MORNING = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_digest_is_posted_to_opted_in_channels_once(slack: SlackDouble, deps: Deps, catalog: Catalog) -> None:
    """An opted-in channel gets one chat.postMessage with Block Kit; a second scheduler pass posts nothing more."""
    with session_scope(deps.engine) as s:
        set_digest(s, "T1", "C0DIGEST", True)
    poster = digest_poster(build_client(deps.settings), deps)
    first = post_due_digests(deps.engine, catalog, deps.settings, poster, MONDAY_MORNING)
    again = post_due_digests(deps.engine, catalog, deps.settings, poster, MONDAY_MORNING)
    assert [(ws, ch, str(week)) for ws, ch, week in first] == [("T1", "C0DIGEST", "2026-W47")]
    assert again == []
    posts = slack.of("chat.postMessage")
    assert len(posts) == 1 and posts[0].body["channel"] == "C0DIGEST" and posts[0].body["blocks"]


def test_archived_channel_is_recorded_and_dropped(slack: SlackDouble, deps: Deps, catalog: Catalog) -> None:
    """Slack's is_archived answer marks the channel archived: the run is failed with the reason, no more targets."""
    with session_scope(deps.engine) as s:
        set_digest(s, "T1", "C0OLD", True)
    slack.script("chat.postMessage", api_error("is_archived"))
    poster = digest_poster(build_client(deps.settings), deps)
    assert post_due_digests(deps.engine, catalog, deps.settings, poster, MONDAY_MORNING) == []
    with session_scope(deps.engine) as s:
        assert ("T1", "C0OLD") not in digest_targets(s, [])
        run = digest_run(s, "T1", "C0OLD", "2026-W47")
        assert run is not None and run.status == "failed" and "is_archived" in (run.error or "")
