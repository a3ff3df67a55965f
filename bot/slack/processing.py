"""What the inbox worker does with one stored Slack event: the same path for `message` and `app_mention`.

A message is detected, decided and recorded by `handle_message` (once per message, whatever event brought it),
then posted. A mention that is not a claim gets a short hello in its thread. A deleted message deletes Mirage's
replies to it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from slack_sdk import WebClient

from bot.service.deps import Deps
from bot.service.messages import handle_message, replies_to_delete
from bot.slack.events import incoming_message
from bot.slack.posting import delete_replies, post_outcome, thread_reader
from bot.slack.teams import BotIdentity, OneWorkspace, Teams
from bot.store.models import InboxItem

__all__ = ["HELLO", "BotIdentity", "EventProcessor"]

log = logging.getLogger(__name__)

HELLO = ("Hi! I'm Mirage. When a conversation leans on a benchmark score alone, I ask a couple of questions "
         "about real user evidence. Try `/mirage help`, or `/mirage check <a message>`.")


class EventProcessor:
    """Process one inbox row against the Web API, with the token and bot identity of the row's workspace. Raises on
    failure (the worker retries the row). A row of a workspace Mirage is not installed in is finished unprocessed.
    `pace(channel)` waits for the channel's posting slot before each message (bot.slack.pace.ChannelPace, shared by
    the threads)."""

    def __init__(self, client: WebClient | None, deps: Deps, identity: BotIdentity | None = None, *,
                 teams: Teams | None = None, pace: Callable[[str], None] | None = None) -> None:
        if teams is None:
            if client is None or identity is None:
                raise ValueError("EventProcessor needs a client and the bot identity, or teams")
            teams = OneWorkspace(client, identity)
        self.deps = deps
        self.teams = teams
        self.pace = pace

    @classmethod
    def for_teams(cls, teams: Teams, deps: Deps, pace: Callable[[str], None] | None = None) -> EventProcessor:
        """Each row handled with its own workspace's client and bot identity (one workspace or many)."""
        return cls(None, deps, teams=teams, pace=pace)

    def __call__(self, item: InboxItem) -> None:
        team = self.teams.team(item.workspace_id)
        if team is None:
            log.warning("inbox row %s: Mirage is not installed in workspace %s (uninstalled or token revoked); "
                        "not processed, nothing posted", item.id, item.workspace_id[:64])
            return
        client, identity = team.client, team.identity
        body = json.loads(item.payload or "{}")
        event = body.get("event") or {}
        if item.kind == "deleted":
            deleted_ts = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
            replies = replies_to_delete(self.deps, item.workspace_id, item.channel_id, str(deleted_ts))
            delete_replies(client, replies)
            return
        message = incoming_message(body, event, identity.user_id)
        facts = message.facts
        outcome = handle_message(
            self.deps,
            message,
            fetch_thread=thread_reader(client, message.channel_id, facts.thread_key, facts.ts),
            permalink=team.links.reader(message.channel_id, facts.ts, facts.thread_ts),
            inbox_id=item.id,
        )
        if outcome.fired or outcome.duplicate:
            post_outcome(client, self.deps, message, outcome, identity.user_id, self.pace)
            return
        if outcome.decision.action == "none" and identity.mentioned_in(message.text) and \
                outcome.decision.reason != "Mirage is off in this channel":
            if self.pace is not None:
                self.pace(message.channel_id)
            client.chat_postMessage(channel=message.channel_id, thread_ts=facts.thread_key, text=HELLO)
