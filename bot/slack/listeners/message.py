"""`message` events (message.channels, message.groups): detect, decide, record, reply; deleted -> delete our reply."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.service.deps import Deps
from bot.service.messages import handle_message, replies_to_delete
from bot.slack.events import incoming_message, workspace_of
from bot.slack.posting import Permalinks, delete_replies, post_outcome, thread_reader


def register(app: App, deps: Deps) -> None:
    links = Permalinks(app.client)

    @app.event("message")
    def on_message(body: dict[str, Any], event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if event.get("subtype") == "message_deleted":
            deleted_ts = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
            if deleted_ts:
                replies = replies_to_delete(deps, workspace_of(body), str(event.get("channel")), str(deleted_ts))
                delete_replies(client, replies)
            return
        message = incoming_message(body, event, context.bot_user_id)
        facts = message.facts
        outcome = handle_message(
            deps,
            message,
            fetch_thread=thread_reader(client, message.channel_id, facts.thread_key, facts.ts),
            permalink=links.reader(message.channel_id, facts.ts, facts.thread_ts),
        )
        post_outcome(client, deps, message, outcome)
