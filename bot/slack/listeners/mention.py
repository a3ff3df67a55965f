"""`app_mention`: someone called Mirage by name. A claim in the mention is answered by the message listener;
anything else gets a short hello in the thread pointing at /mirage help."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.service.deps import Deps

MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
HELLO = ("Hi! I'm Mirage. When a conversation leans on a benchmark score alone, I ask a couple of questions "
         "about real user evidence. Try `/mirage help`, or `/mirage check <a message>`.")


def register(app: App, deps: Deps) -> None:
    @app.event("app_mention")
    def on_mention(event: dict[str, Any], client: WebClient) -> None:
        if event.get("bot_id"):
            return
        text = MENTION.sub(" ", str(event.get("text") or "")).strip()
        if text and deps.detector.detect(text).fired:
            return  # the message listener replies to the claim itself
        client.chat_postMessage(channel=str(event.get("channel")), thread_ts=event.get("thread_ts") or event.get("ts"),
                                text=HELLO)
