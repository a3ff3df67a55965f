"""Privacy by construction: a digest posted in a channel quotes only that channel; private channels' text is never
stored; shadow-mode channels are counted, never quoted. Driven through the real app and the digest poster."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from sqlmodel import select

from bot.bench.support.slack_double import SlackDouble
from bot.catalog import Catalog
from bot.detection import Detector
from bot.jobs.digest import post_due_digests
from bot.replay.run import ReplayOptions, replay
from bot.service.deps import Deps
from bot.settings import Settings
from bot.slack.posting import digest_poster
from bot.store.channels import set_channel_mode, set_digest
from bot.store.engine import session_scope
from bot.store.models import Incident
from bot.week import IsoWeek

from ..replay.builder import sample_export
from .conftest import Driver

PUBLIC = "Public-walrus: it scored highest on MMLU, so it should be the best choice."
OTHER = "Other-heron: it scored highest on MMLU, so it should be the best choice."
PRIVATE = "Private-lynx: it scored highest on MMLU, so it should be the best choice."
SHADOW = "Shadow-otter: it scored highest on MMLU, so it should be the best choice."
CHANNELS = ("C0GENERAL", "C0ML", "G0SECRET", "C0SHADOW")


def _seed(driver: Driver, deps: Deps) -> None:
    with session_scope(deps.engine) as s:
        set_channel_mode(s, "T0TEAM", "C0SHADOW", "shadow")
        for channel in CHANNELS:
            set_digest(s, "T0TEAM", channel, True)
    driver.message(PUBLIC, channel="C0GENERAL")
    driver.message(OTHER, channel="C0ML")
    driver.message(PRIVATE, channel="G0SECRET", channel_type="group")
    driver.message(SHADOW, channel="C0SHADOW")


def _post_digests(driver: Driver, slack: SlackDouble, deps: Deps, settings: Settings) -> dict[str, str]:
    """Run the weekly job as if it were next Monday 09:05 UTC; the text of every digest posted, by channel."""
    monday = IsoWeek.of(datetime.now(UTC)).monday + timedelta(days=7)
    now = datetime.combine(monday, time(9, 5), tzinfo=UTC)
    posted = post_due_digests(deps.engine, deps.catalog, settings, digest_poster(driver.app.client, deps), now)
    assert {ch for _, ch, _ in posted} == set(CHANNELS)
    return {str(c.body["channel"]): str(c.body["blocks"]) + str(c.body["text"]) for c in slack.of("chat.postMessage")
            if "digest" in str(c.body.get("text"))}


def test_each_channels_digest_quotes_only_that_channel(
    driver: Driver, slack: SlackDouble, deps: Deps, settings: Settings
) -> None:
    """C0GENERAL's digest quotes C0GENERAL's claim only; C0ML's quotes C0ML's; every digest counts all four."""
    _seed(driver, deps)
    digests = _post_digests(driver, slack, deps, settings)
    assert "Public-walrus" in digests["C0GENERAL"] and "Other-heron" not in digests["C0GENERAL"]
    assert "Other-heron" in digests["C0ML"] and "Public-walrus" not in digests["C0ML"]
    for text in digests.values():
        assert all(f"&lt;#{ch}&gt;" in text or f"<#{ch}>" in text for ch in CHANNELS), "every channel is counted"


def test_private_and_shadow_channels_are_never_quoted(
    driver: Driver, slack: SlackDouble, deps: Deps, settings: Settings
) -> None:
    """No digest, not even the private or shadow channel's own, contains their text; the private text is not
    even stored."""
    _seed(driver, deps)
    digests = _post_digests(driver, slack, deps, settings)
    for channel, text in digests.items():
        assert "Private-lynx" not in text and "Shadow-otter" not in text, channel
    with session_scope(deps.engine) as s:
        stored = {i.channel_id: i.excerpt for i in s.exec(select(Incident)).all()}
    assert stored["G0SECRET"] == "" and "Shadow-otter" in stored["C0SHADOW"]
    assert "Private-lynx" not in str(stored)


def test_preview_in_a_channel_quotes_only_that_channel(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """`/mirage digest` in C0ML previews with C0ML's examples only."""
    _seed(driver, deps)
    driver.command("digest this", channel="C0ML")
    [preview] = [str(c.body) for c in slack.of("response_url")]
    assert "Other-heron" in preview
    assert not any(word in preview for word in ("Public-walrus", "Private-lynx", "Shadow-otter"))


def test_message_without_a_channel_type_counts_as_private(driver: Driver, deps: Deps) -> None:
    """An event that does not say it comes from a public channel keeps no text (default deny)."""
    driver.message(PUBLIC, channel="C0UNSURE", channel_type="")
    with session_scope(deps.engine) as s:
        [incident] = s.exec(select(Incident)).all()
    assert incident.excerpt == "" and incident.triggers


def test_replayed_private_conversations_keep_no_text(
    tmp_path: Path, detector: Detector, catalog: Catalog, deps: Deps
) -> None:
    """A replayed export stores excerpts for public channels only; the private channel's claims keep none."""
    path = sample_export().write_zip(tmp_path / "export.zip")
    replay(path, detector, catalog, deps.engine, ReplayOptions())
    with session_scope(deps.engine) as s:
        incidents = s.exec(select(Incident)).all()
    private = [i for i in incidents if i.channel_id.startswith(("G", "D"))]
    public = [i for i in incidents if i.channel_id.startswith("C")]
    assert private and public
    assert all(i.excerpt == "" for i in private) and all(i.excerpt for i in public)
