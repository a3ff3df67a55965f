"""Reading Slack payloads into Mirage's plain data (no Web API calls here)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.policy import MessageFacts
from bot.service.messages import IncomingMessage

PUBLIC_CHANNEL_TYPES = frozenset({"channel"})  # anything else (group, im, mpim, or not said) counts as private


def workspace_of(body: Mapping[str, Any]) -> str:
    """The workspace (team) id of any payload shape: events, commands, interactivity."""
    team = body.get("team_id") or body.get("team") or {}
    if isinstance(team, Mapping):
        team = team.get("id") or ""
    if not team:
        user = body.get("user")
        team = user.get("team_id") if isinstance(user, Mapping) else ""
    return str(team or "")


def incoming_message(body: Mapping[str, Any], event: Mapping[str, Any], bot_user_id: str | None) -> IncomingMessage:
    """The message event as Mirage sees it. `event_id` comes from the envelope (stable across Slack retries)."""
    user = event.get("user")
    ts = str(event.get("ts") or "")
    thread_ts = event.get("thread_ts")
    return IncomingMessage(
        workspace_id=workspace_of(body),
        channel_id=str(event.get("channel") or ""),
        event_id=str(body.get("event_id") or f"{event.get('channel')}:{ts}"),
        text=str(event.get("text") or ""),
        private=event.get("channel_type") not in PUBLIC_CHANNEL_TYPES,
        facts=MessageFacts(
            ts=ts,
            user=str(user) if user else None,
            thread_ts=str(thread_ts) if thread_ts else None,
            subtype=event.get("subtype"),
            is_bot=bool(event.get("bot_id") or event.get("bot_profile")),
            is_self=bool(bot_user_id) and user == bot_user_id,
        ),
    )
