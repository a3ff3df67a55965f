"""`/mirage ...`: acknowledged in the request thread at once; the answer is worked out afterwards, on the
interactive executor (never behind the message backlog), and sent through the response_url."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.service.commands import CommandCall, run_command
from bot.service.deps import Deps
from bot.slack.blocks import answer_blocks
from bot.slack.events import workspace_of


def register(app: App, deps: Deps) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def answer(command: dict[str, Any], respond: Respond) -> None:
        call = CommandCall(
            workspace_id=workspace_of(command),
            channel_id=str(command.get("channel_id") or ""),
            user_id=str(command.get("user_id") or ""),
            text=str(command.get("text") or ""),
        )
        result = run_command(deps, call)
        respond(text=result.text, blocks=answer_blocks(result),
                response_type="in_channel" if result.public else "ephemeral")

    app.command("/mirage")(ack=acknowledge, lazy=[answer])
