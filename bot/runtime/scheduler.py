"""The scheduler part: the weekly digest (with its catch-up) and the daily retention purge.

One scheduler is enough; two stay correct: each channel-week is claimed in the database before it is posted
(`claim_digest_run`), and the purge deletes by age, so running it twice deletes nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk.errors import SlackClientError

from bot.jobs.digest import post_due_digests
from bot.jobs.retention import purge_expired
from bot.jobs.scheduler import build_scheduler
from bot.service.deps import Deps
from bot.slack.names import remember_names
from bot.slack.serving import team_digest_poster
from bot.slack.teams import Teams

log = logging.getLogger(__name__)


@dataclass
class Jobs:
    """The running scheduler; `stop` shuts it down without waiting for a job in progress (its claim is durable)."""

    scheduler: BackgroundScheduler

    def stop(self, _grace: float = 0.0) -> bool:
        self.scheduler.shutdown(wait=False)
        return True


def start_scheduler(deps: Deps, teams: Teams) -> Jobs | None:
    """Start the digest and retention jobs, posting with each workspace's client; None (logged) when they cannot
    start."""
    poster = team_digest_poster(teams, deps)
    engine, catalog, settings = deps.engine, deps.catalog, deps.settings

    def digest_job() -> object:
        for _, client in teams.clients():
            remember_names(client, engine)  # so the digest (and `mirage digest`) can name the channels
        posted = post_due_digests(engine, catalog, settings, poster, datetime.now(UTC))
        log.info("digest run finished: %d posted by this process", len(posted))
        return posted

    def retention_job() -> object:
        return purge_expired(engine, settings, datetime.now(UTC))

    try:
        scheduler = build_scheduler(settings, digest_job, retention_job)
        scheduler.start()
    except (ValueError, SlackClientError) as exc:
        log.error("digest scheduler not started: %s", exc)
        return None
    return Jobs(scheduler)
