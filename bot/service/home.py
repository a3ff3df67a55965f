"""The App Home tab: what Mirage does, the catalog, this workspace's last weeks, and the channels it watches."""

from __future__ import annotations

from datetime import timedelta

from bot.service.commands import STATS_WEEKS, glance_since
from bot.service.deps import Deps
from bot.service.model import HomeTab
from bot.store.channels import channel_setting, watched_channels
from bot.store.digest_queries import active_channels
from bot.store.engine import session_scope


def home(deps: Deps, workspace_id: str) -> HomeTab:
    """What the App Home tab of `workspace_id` shows (bot.slack.blocks.home_view lays it out): the same counts as
    `/mirage stats`, summed over every channel with activity in the last weeks (not only the channels someone
    configured), and those channels with their modes."""
    since = deps.clock() - timedelta(weeks=STATS_WEEKS)
    with session_scope(deps.engine) as s:
        configured = {c.channel_id: c.mode for c in watched_channels(s, workspace_id)}
        active = active_channels(s, workspace_id, since)
        modes = {ch: configured.get(ch) or channel_setting(s, workspace_id, ch).mode for ch in active}
    channels = sorted({**modes, **configured}.items())
    glance = glance_since(deps, workspace_id, active, since)
    return HomeTab(deps.catalog.cards, glance, [(ch, mode) for ch, mode in channels if mode != "off"])
