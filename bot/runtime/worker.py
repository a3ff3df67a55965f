"""The worker part: inbox worker threads processing stored events against the Web API, paced per channel."""

from __future__ import annotations

from datetime import timedelta

from slack_sdk import WebClient

from bot.service.deps import Deps
from bot.service.worker import InboxWorker
from bot.settings import Settings
from bot.slack.pace import ChannelPace
from bot.slack.processing import BotIdentity, EventProcessor


def start_worker(deps: Deps, client: WebClient, identity: BotIdentity, settings: Settings) -> InboxWorker:
    """INBOX_WORKERS threads claiming inbox rows; rows a previous run left unfinished are processed first (on
    PostgreSQL other processes may be claiming too: SKIP LOCKED). One ChannelPace is shared by the threads."""
    pace = ChannelPace(settings.channel_post_interval_seconds)
    processor = EventProcessor(client, deps, identity, pace=pace)
    worker = InboxWorker(deps, processor, threads=settings.inbox_workers,
                         lease=timedelta(seconds=settings.inbox_lease_seconds))
    worker.start()
    return worker
