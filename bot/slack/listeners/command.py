"""`/mirage ...`: acknowledge at once, then answer through the response_url (ephemeral unless said otherwise)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.service.commands import CommandCall, run_command
from bot.service.deps import Deps
from bot.slack.blocks import answer_blocks
from bot.slack.events import workspace_of


def register(app: App, deps: Deps) -> None:
    @app.command("/mirage")
    def on_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        call = CommandCall(
            workspace_id=workspace_of(command),
            channel_id=str(command.get("channel_id") or ""),
            user_id=str(command.get("user_id") or ""),
            text=str(command.get("text") or ""),
        )
        answer = run_command(deps, call)
        respond(text=answer.text, blocks=answer_blocks(answer),
                response_type="in_channel" if answer.public else "ephemeral")
