"""The App Home tab: what Mirage does, the catalog, this workspace's last weeks, and the channels it watches."""

from __future__ import annotations

from datetime import timedelta

from bot.service.commands import STATS_WEEKS, glance_since
from bot.service.deps import Deps
from bot.service.model import HomeTab
from bot.store import queries as q
from bot.store.engine import session_scope


def home(deps: Deps, workspace_id: str) -> HomeTab:
    """What the App Home tab of `workspace_id` shows (bot.slack.blocks.home_view lays it out)."""
    with session_scope(deps.engine) as s:
        channels = [(c.channel_id, c.mode) for c in q.watched_channels(s, workspace_id)]
    since = deps.clock() - timedelta(weeks=STATS_WEEKS)
    glance = glance_since(deps, workspace_id, [ch for ch, _ in channels], since)
    return HomeTab(deps.catalog.cards, glance, channels)
