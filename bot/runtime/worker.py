"""The worker part: inbox worker threads processing stored events against the Web API, paced per channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.runtime.wakeup import RowListener
from bot.service.deps import Deps
from bot.service.worker import InboxWorker
from bot.settings import Settings
from bot.slack.pace import ChannelPace
from bot.slack.processing import EventProcessor
from bot.slack.teams import Teams


@dataclass
class Working:
    """The running worker part: the inbox threads, and on PostgreSQL the LISTEN thread that wakes them."""

    worker: InboxWorker
    listener: RowListener | None = None

    def stop(self, grace: float = 20.0) -> bool:
        if self.listener is not None:
            self.listener.stop()
        return self.worker.stop(grace)


def start_worker(deps: Deps, teams: Teams, settings: Settings) -> Working:
    """INBOX_WORKERS threads claiming inbox rows; rows a previous run left unfinished are processed first (on
    PostgreSQL other processes may be claiming too: SKIP LOCKED, and a web process's NOTIFY wakes them). One
    ChannelPace is shared by the threads; each row is handled with its workspace's client (`teams`)."""
    pace = ChannelPace(settings.channel_post_interval_seconds)
    processor = EventProcessor.for_teams(teams, deps, pace=pace)
    worker = InboxWorker(deps, processor, threads=settings.inbox_workers,
                         lease=timedelta(seconds=settings.inbox_lease_seconds))
    worker.start()
    listener = RowListener(deps.engine, deps.wake).start() if deps.engine.dialect.name == "postgresql" else None
    return Working(worker, listener)
