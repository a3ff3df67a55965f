"""The APScheduler that runs the jobs: the weekly digest (with a catch-up for a missed slot) and daily retention."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.jobs.digest import DAYS, weekday_index
from bot.settings import Settings

CATCH_UP_MINUTES = 30
RETENTION_HOUR = 3
RETENTION_MINUTE = 17


def build_scheduler(
    settings: Settings, digest_job: Callable[[], object], retention_job: Callable[[], object]
) -> BackgroundScheduler:
    """A scheduler (not started) with three jobs, all in DIGEST_TZ:

    - "digest": cron DIGEST_DAY_OF_WEEK DIGEST_HOUR:DIGEST_MINUTE, coalesced, with a misfire grace of
      DIGEST_GRACE_HOURS;
    - "digest-catch-up": runs once right at start and every CATCH_UP_MINUTES after, so a bot that was down at the
      scheduled time posts the missed digest (once: `post_due_digests` claims each channel-week) within the grace;
    - "retention": daily at 03:17.
    `digest_job` should call `post_due_digests` with the current time; `retention_job` e.g. `purge_expired`.
    """
    tz = ZoneInfo(settings.digest_tz)
    weekday_index(settings.digest_day_of_week)  # a clear error now rather than a cron parse error later
    grace = max(settings.digest_grace_hours * 3600, 1)
    once: dict[str, Any] = {"coalesce": True, "max_instances": 1, "misfire_grace_time": grace}
    scheduler = BackgroundScheduler(timezone=tz, job_defaults=once)
    day = DAYS[weekday_index(settings.digest_day_of_week)]
    scheduler.add_job(
        digest_job,
        CronTrigger(day_of_week=day, hour=settings.digest_hour, minute=settings.digest_minute, timezone=tz),
        id="digest",
        name="weekly digest",
        replace_existing=True,
        **once,
    )
    scheduler.add_job(
        digest_job,
        IntervalTrigger(minutes=CATCH_UP_MINUTES, timezone=tz),
        id="digest-catch-up",
        name="post a missed weekly digest",
        next_run_time=datetime.now(UTC),
        replace_existing=True,
        **once,
    )
    scheduler.add_job(
        retention_job,
        CronTrigger(hour=RETENTION_HOUR, minute=RETENTION_MINUTE, timezone=tz),
        id="retention",
        name="delete data older than RETENTION_DAYS",
        replace_existing=True,
        **once,
    )
    return scheduler
