"""Slack's ~1 message per second per channel: the worker threads of one process share a per-channel pace."""

from __future__ import annotations

import itertools
from pathlib import Path

from bot.bench.support.slack_double import SlackDouble
from bot.catalog import Catalog
from bot.detection import Detector
from bot.runtime.worker import start_worker
from bot.service.deps import Deps
from bot.settings import Settings
from bot.slack.app import build_app, read_identity
from bot.slack.client import build_client
from bot.slack.pace import ChannelPace
from bot.slack.teams import OneWorkspace
from bot.store.engine import make_engine, upgrade_database

from .bot_process import CLAIM, wait_for
from .conftest import Driver, InlineExecutor


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_channel_gets_one_slot_per_interval_and_other_channels_do_not_wait() -> None:
    """Three posts reserved at once in one channel wait 0, 1 and 2 intervals; another channel waits nothing; once
    the interval has passed the channel is free again; an interval of 0 never waits."""
    clock = FakeClock()
    pace = ChannelPace(1.0, clock=clock)
    assert [pace.reserve("C1") for _ in range(3)] == [0.0, 1.0, 2.0]
    assert pace.reserve("C2") == 0.0
    clock.now += 10
    assert pace.reserve("C1") == 0.0
    assert ChannelPace(0.0, clock=clock).reserve("C1") == 0.0


def test_wait_sleeps_for_the_reserved_delay() -> None:
    """`wait` sleeps exactly the reserved delay (and not at all for a free slot)."""
    slept: list[float] = []
    pace = ChannelPace(0.5, clock=FakeClock(), sleep=slept.append)
    pace.wait("C1")
    pace.wait("C1")
    assert slept == [0.5]


def test_worker_threads_space_their_posts_in_one_channel(slack: SlackDouble, settings: Settings, tmp_path: Path,
                                                         catalog: Catalog, detector: Detector) -> None:
    """Four worker threads with four claims in one channel (no cooldown): the replies reach Slack about
    CHANNEL_POST_INTERVAL_SECONDS apart; a claim in another channel is not held behind them."""
    paced = settings.model_copy(update={"cooldown_minutes": 0, "user_daily_cap": 100, "inbox_workers": 4,
                                        "channel_post_interval_seconds": 0.3})
    engine = make_engine(f"sqlite:///{tmp_path / 'paced.db'}")
    upgrade_database(engine)
    deps = Deps(engine=engine, detector=detector, catalog=catalog, settings=paced)
    client = build_client(paced)
    identity, authorization = read_identity(client)
    driver = Driver(build_app(paced, deps, client=client, authorization=authorization,
                              listener_executor=InlineExecutor()), slack)
    for n in range(4):
        assert driver.message(CLAIM, user=f"U{n}", channel="C0PACE")[0].status == 200
    assert driver.message(CLAIM, user="U9", channel="C0OTHER")[0].status == 200
    worker = start_worker(deps, OneWorkspace(client, identity), paced)
    try:
        wait_for(lambda: len(slack.of("chat.postMessage")) == 5, 30, "five replies")
    finally:
        worker.stop(5)
        engine.dispose()
    posts = slack.of("chat.postMessage")
    times = sorted(c.at for c in posts if c.body.get("channel") == "C0PACE")
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # measured where the posts arrive (scheduling jitter on the way): unpaced, they would come milliseconds apart
    assert len(times) == 4 and min(gaps) >= 0.15 and times[-1] - times[0] >= 0.8, gaps
    other = next(c.at for c in posts if c.body.get("channel") == "C0OTHER")
    assert other < times[-1], "the other channel's reply did not wait for the paced channel"
