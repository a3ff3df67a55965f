"""`message` events (message.channels, message.groups): stored in the inbox before the ack; processed from there.

When the inbox cannot be written the listener raises IntakeUnavailable and the app answers 503: Slack retries.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot.service.deps import Deps
from bot.slack.intake import accept_event


def register(app: App, deps: Deps) -> None:
    @app.event("message")
    def on_message(body: dict[str, Any], context: BoltContext) -> None:
        accept_event(deps, body, context.bot_user_id)
