"""What the inbox worker does with one stored Slack event: the same path for `message` and `app_mention`.

A message is detected, decided and recorded by `handle_message` (once per message, whatever event brought it),
then posted. A mention that is not a claim gets a short hello in its thread. A deleted message deletes Mirage's
replies to it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient

from bot.service.deps import Deps
from bot.service.messages import handle_message, replies_to_delete
from bot.slack.events import incoming_message
from bot.slack.posting import Permalinks, delete_replies, post_outcome, thread_reader
from bot.store.models import InboxItem

HELLO = ("Hi! I'm Mirage. When a conversation leans on a benchmark score alone, I ask a couple of questions "
         "about real user evidence. Try `/mirage help`, or `/mirage check <a message>`.")


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """Who Mirage is in the workspace, from the one auth.test at start."""

    user_id: str | None
    bot_id: str | None = None
    team_id: str | None = None
    url: str | None = None

    def mentioned_in(self, text: str) -> bool:
        return bool(self.user_id) and re.search(rf"<@{re.escape(self.user_id or '')}(\|[^>]*)?>", text) is not None


class EventProcessor:
    """Process one inbox row against the Web API. Raises on failure (the worker retries the row). `pace(channel)`
    waits for the channel's posting slot before each message (bot.slack.pace.ChannelPace, shared by the threads)."""

    def __init__(self, client: WebClient, deps: Deps, identity: BotIdentity,
                 pace: Callable[[str], None] | None = None) -> None:
        self.client = client
        self.deps = deps
        self.identity = identity
        self.pace = pace
        self.links = Permalinks(identity.url)

    def __call__(self, item: InboxItem) -> None:
        body = json.loads(item.payload or "{}")
        event = body.get("event") or {}
        if item.kind == "deleted":
            deleted_ts = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
            replies = replies_to_delete(self.deps, item.workspace_id, item.channel_id, str(deleted_ts))
            delete_replies(self.client, replies)
            return
        message = incoming_message(body, event, self.identity.user_id)
        facts = message.facts
        outcome = handle_message(
            self.deps,
            message,
            fetch_thread=thread_reader(self.client, message.channel_id, facts.thread_key, facts.ts),
            permalink=self.links.reader(message.channel_id, facts.ts, facts.thread_ts),
            inbox_id=item.id,
        )
        if outcome.fired or outcome.duplicate:
            post_outcome(self.client, self.deps, message, outcome, self.identity.user_id, self.pace)
            return
        if outcome.decision.action == "none" and self.identity.mentioned_in(message.text) and \
                outcome.decision.reason != "Mirage is off in this channel":
            if self.pace is not None:
                self.pace(message.channel_id)
            self.client.chat_postMessage(channel=message.channel_id, thread_ts=facts.thread_key, text=HELLO)
