"""Names from Slack for the store: the workspace's (auth.test) and its channels' (conversations.info), so digests
and `mirage digest` can say `#model-evals` rather than `C0123`. Best effort: a failure is logged, never raised."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from sqlalchemy import Engine
from sqlmodel import col, select

from bot.store.engine import session_scope
from bot.store.models import ChannelName, DailyBalance, Incident
from bot.store.names import set_channel_names, set_workspace_name

log = logging.getLogger(__name__)
MAX_LOOKUPS = 50  # conversations.info calls per refresh (Tier 3: ~50 a minute)


def unnamed_channels(engine: Engine, workspace_id: str) -> list[str]:
    """Channels of the workspace with data in the store but no remembered name."""
    with session_scope(engine) as s:
        named = select(col(ChannelName.channel_id)).where(col(ChannelName.workspace_id) == workspace_id)
        seen = select(col(DailyBalance.channel_id)).where(col(DailyBalance.workspace_id) == workspace_id).union(
            select(col(Incident.channel_id)).where(col(Incident.workspace_id) == workspace_id))
        known = set(s.scalars(named))
        return sorted({ch for (ch,) in s.execute(seen)} - known)


def remember_names(client: WebClient, engine: Engine, limit: int = MAX_LOOKUPS) -> str | None:
    """Store this bot's workspace name (auth.test) and the names of up to `limit` unnamed channels
    (conversations.info). Returns the workspace id, or None when Slack could not be asked."""
    try:
        me = client.auth_test()
    except (SlackClientError, OSError) as exc:
        log.warning("could not read the workspace name from Slack: %s", exc)
        return None
    workspace_id, team = str(me.get("team_id") or ""), str(me.get("team") or "")
    if not workspace_id:
        return None
    found: dict[str, str] = {}
    for channel_id in unnamed_channels(engine, workspace_id)[:limit]:
        try:
            info = client.conversations_info(channel=channel_id)
        except (SlackClientError, OSError) as exc:
            log.info("no name for channel %s: %s", channel_id, getattr(exc, "response", {}).get("error", exc))
            continue
        channel = info.get("channel") or {}
        if isinstance(channel, dict) and isinstance(channel.get("name"), str):
            found[channel_id] = channel["name"]
    with session_scope(engine) as s:
        set_workspace_name(s, workspace_id, team)
        set_channel_names(s, workspace_id, found)
    return workspace_id
