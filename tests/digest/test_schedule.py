"""Posting due digests exactly once per channel and week, catching up within the grace window, and the scheduler."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from bot.catalog import Catalog
from bot.jobs.digest import digest_channels, due_digest, post_due_digests, weekday_index
from bot.jobs.scheduler import build_scheduler
from bot.settings import Settings
from bot.store.digest_runs import digest_run
from bot.store.engine import make_engine, session_scope
from bot.week import IsoWeek

from .seed import seed as _seed

WEEK = IsoWeek(2026, 47)  # Mon 2026-11-16 .. Sun 2026-11-22; the digest goes out Mon 2026-11-23
BERLIN = ZoneInfo("Europe/Berlin")
SLOT = datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN)  # 08:00 UTC


def _settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"digest_tz": "Europe/Berlin", "digest_grace_hours": 48} | overrides
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class Recorder:
    """A poster that remembers what it was asked to post and fails for the channels it is told to."""

    def __init__(self, failing: set[str] | None = None) -> None:
        self.failing = failing or set()
        self.posts: list[tuple[str, str, list[dict[str, Any]], str]] = []
        self._lock = threading.Lock()

    def __call__(self, ws: str, ch: str, blocks: list[dict[str, Any]], text: str) -> None:
        if ch in self.failing:
            raise RuntimeError(f"channel_not_found: {ch}")
        with self._lock:
            self.posts.append((ws, ch, blocks, text))

    @property
    def targets(self) -> list[tuple[str, str]]:
        return sorted((ws, ch) for ws, ch, _, _ in self.posts)


@pytest.fixture
def seeded(engine: Engine) -> Iterator[Engine]:
    _seed(engine)
    yield engine


def test_posts_each_channel_once_even_when_called_twice(seeded: Engine, catalog: Catalog) -> None:
    """Two runs at the same moment post every opted-in channel exactly once, with the previous week's digest."""
    poster = Recorder()
    now = SLOT + timedelta(minutes=5)
    first = post_due_digests(seeded, catalog, _settings(), poster, now)
    second = post_due_digests(seeded, catalog, _settings(), poster, now + timedelta(hours=1))
    assert first == [("T1", "C1", WEEK), ("T1", "C2", WEEK), ("T1", "C3", WEEK)]
    assert second == []
    assert poster.targets == [("T1", "C1"), ("T1", "C2"), ("T1", "C3")]
    _, _, blocks, text = poster.posts[0]
    assert text == "Mirage digest 2026-W47: 3 benchmark-only claims (+2 vs last week)."
    assert blocks[0]["type"] == "header" and "2026-W47" in blocks[0]["text"]["text"]
    with session_scope(seeded) as s:
        run = digest_run(s, "T1", "C2", WEEK)
        assert run is not None and run.status == "posted" and run.posted_at is not None


def test_two_schedulers_racing_post_each_channel_once(seeded: Engine, catalog: Catalog) -> None:
    """Two schedulers with their own engines on the same database, running at once, never post a channel twice."""
    other = make_engine(seeded.url.render_as_string(hide_password=False))
    poster = Recorder()
    now = SLOT + timedelta(minutes=1)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(lambda e: post_due_digests(e, catalog, _settings(), poster, now), [seeded, other]))
    finally:
        other.dispose()
    assert sorted(results[0] + results[1]) == [("T1", "C1", WEEK), ("T1", "C2", WEEK), ("T1", "C3", WEEK)]
    assert poster.targets == [("T1", "C1"), ("T1", "C2"), ("T1", "C3")]


def test_missed_digest_is_posted_once_within_the_grace_window(seeded: Engine, catalog: Catalog) -> None:
    """A bot back 30 hours late posts last week's digest once; later catch-up runs post nothing more."""
    poster = Recorder()
    back = SLOT + timedelta(hours=30)
    assert post_due_digests(seeded, catalog, _settings(), poster, back) == [
        ("T1", "C1", WEEK), ("T1", "C2", WEEK), ("T1", "C3", WEEK)
    ]
    assert post_due_digests(seeded, catalog, _settings(), poster, back + timedelta(hours=10)) == []
    assert len(poster.posts) == 3


def test_missed_digest_is_not_posted_after_the_grace_window(seeded: Engine, catalog: Catalog) -> None:
    """Past DIGEST_GRACE_HOURS the stale digest is skipped and nothing is claimed; before the slot nothing is due."""
    poster = Recorder()
    assert post_due_digests(seeded, catalog, _settings(), poster, SLOT + timedelta(hours=48, minutes=1)) == []
    assert post_due_digests(seeded, catalog, _settings(), poster, SLOT - timedelta(minutes=1)) == []
    assert poster.posts == []
    with session_scope(seeded) as s:
        assert digest_run(s, "T1", "C1", WEEK) is None


def test_a_failed_post_is_recorded_and_the_other_channels_still_get_theirs(seeded: Engine, catalog: Catalog) -> None:
    """When posting to one channel fails, its run is marked failed with the error; the others are posted; a later
    run within the grace window retries only the failed channel."""
    poster = Recorder(failing={"C2"})
    now = SLOT + timedelta(minutes=2)
    assert post_due_digests(seeded, catalog, _settings(), poster, now) == [("T1", "C1", WEEK), ("T1", "C3", WEEK)]
    with session_scope(seeded) as s:
        failed = digest_run(s, "T1", "C2", WEEK)
        assert failed is not None and failed.status == "failed"
        assert failed.error is not None and "channel_not_found: C2" in failed.error
    poster.failing.clear()
    assert post_due_digests(seeded, catalog, _settings(), poster, now + timedelta(minutes=30)) == [("T1", "C2", WEEK)]
    assert poster.targets == [("T1", "C1"), ("T1", "C2"), ("T1", "C3")]


def test_configured_channels_get_the_digest_and_archived_ones_do_not(sqlite_engine: Engine, catalog: Catalog) -> None:
    """DIGEST_CHANNELS adds channels (bare ids go with the known workspace; "T:C" names one); opted-out stay out."""
    _seed(sqlite_engine, channels=())
    poster = Recorder()
    settings = _settings(digest_channels="C5, T2:C6")
    posted = post_due_digests(sqlite_engine, catalog, settings, poster, SLOT)
    assert posted == [("T1", "C5", WEEK), ("T2", "C6", WEEK)]
    quiet_text = next(text for ws, _, _, text in poster.posts if ws == "T2")
    assert "quiet week" in quiet_text


def test_due_digest_uses_the_configured_day_time_and_zone() -> None:
    """The slot is DIGEST_DAY_OF_WEEK at DIGEST_HOUR:DIGEST_MINUTE in DIGEST_TZ; the week is the one before it."""
    settings = _settings(digest_tz="America/New_York", digest_day_of_week="fri", digest_hour=16, digest_minute=30)
    slot = datetime(2026, 11, 27, 16, 30, tzinfo=ZoneInfo("America/New_York"))
    due = due_digest(settings, slot + timedelta(hours=2))
    assert due is not None and due.scheduled_at == slot and due.week == IsoWeek(2026, 47)
    assert due_digest(settings, slot - timedelta(seconds=1)) is None  # the previous Friday is past the grace
    assert weekday_index("Monday") == 0 and weekday_index("sun") == 6
    with pytest.raises(ValueError, match="weekday"):
        weekday_index("someday")
    assert digest_channels(_settings(digest_channels="C1,T9:C2"), ["T1", "T2"]) == [
        ("T1", "C1"), ("T2", "C1"), ("T9", "C2")
    ]


def test_cron_trigger_fires_monday_morning_in_the_digest_zone_across_dst() -> None:
    """The weekly job fires Monday 09:00 New York time: 14:00 UTC in winter, 13:00 UTC after the DST switch."""
    scheduler = build_scheduler(_settings(digest_tz="America/New_York"), lambda: None, lambda: None)
    job = scheduler.get_job("digest")
    assert job is not None
    nxt = job.trigger.get_next_fire_time(None, datetime(2026, 11, 18, tzinfo=UTC))
    assert nxt == datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    assert nxt.astimezone(UTC).hour == 14
    spring = job.trigger.get_next_fire_time(None, datetime(2026, 3, 4, tzinfo=UTC))
    assert spring.astimezone(UTC) == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 48 * 3600)
    retention = scheduler.get_job("retention")
    assert retention is not None
    next_purge = retention.trigger.get_next_fire_time(None, datetime(2026, 11, 18, 12, tzinfo=UTC))
    assert next_purge.date() == date(2026, 11, 19)


def test_scheduler_runs_the_catch_up_job_on_start() -> None:
    """Started, the scheduler runs the digest job right away, so a digest missed while down goes out on return."""
    ran = threading.Event()
    scheduler = build_scheduler(_settings(), ran.set, lambda: None)
    scheduler.start()
    try:
        assert ran.wait(timeout=10)
    finally:
        scheduler.shutdown(wait=True)
    assert not scheduler.running


def test_a_run_claimed_by_a_process_that_died_is_retried_within_the_grace(seeded: Engine, catalog: Catalog) -> None:
    """A channel-week claimed but never finished (the poster was killed mid-post) is posted by a later run once
    the claim is stale, still within the grace window; a fresh claim is left alone."""
    from sqlalchemy import text

    from bot.store.digest_runs import STALE_DIGEST_CLAIM, claim_digest_run

    with session_scope(seeded) as s:
        assert claim_digest_run(s, "T1", "C1", WEEK)  # then the process dies: never finished
    poster = Recorder()
    now = SLOT + timedelta(hours=2)
    assert post_due_digests(seeded, catalog, _settings(), poster, now) == [("T1", "C2", WEEK), ("T1", "C3", WEEK)]
    stale = datetime.now(UTC) - STALE_DIGEST_CLAIM - timedelta(minutes=1)
    with session_scope(seeded) as s:
        s.execute(text("UPDATE digest_runs SET claimed_at = :t WHERE channel_id = 'C1'"), {"t": stale})
    assert post_due_digests(seeded, catalog, _settings(), poster, now + timedelta(minutes=30)) == [("T1", "C1", WEEK)]
    assert poster.targets == [("T1", "C1"), ("T1", "C2"), ("T1", "C3")]
