"""`app_mention`: someone called Mirage by name. The mention is the same message as its `message` event: it goes
into the inbox under the same message identity, so the two never give two answers (see bot.slack.processing)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot.service.deps import Deps
from bot.slack.intake import accept_event


def register(app: App, deps: Deps) -> None:
    @app.event("app_mention")
    def on_mention(body: dict[str, Any], context: BoltContext) -> None:
        accept_event(deps, body, context.bot_user_id)
