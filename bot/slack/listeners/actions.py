"""The buttons under a reply: feedback is stored; 'Not relevant' and 'We have user evidence' collapse the reply to a
one-line thank-you (chat.update); 'Show the card' answers with the whole card, ephemeral. Every click is
acknowledged at once in the request thread; the work runs afterwards on the interactive executor."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.service.deps import Deps
from bot.service.feedback import give_feedback
from bot.service.texts import card_text
from bot.slack.blocks import ACTION_SHOW_CARD, FEEDBACK_ACTIONS, answer_blocks, card_blocks
from bot.slack.events import workspace_of

FEEDBACK = re.compile("^(" + "|".join(FEEDBACK_ACTIONS) + ")$")


def register(app: App, deps: Deps) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def on_feedback(body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond) -> None:
        verdict = FEEDBACK_ACTIONS[str(action.get("action_id"))]
        user = str((body.get("user") or {}).get("id") or "")
        container = body.get("container") or {}
        channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
        result = give_feedback(deps, action.get("value"), user, verdict, workspace_id=workspace_of(body),
                               channel_id=channel)
        if result.collapse is not None:
            if container.get("is_ephemeral"):
                respond(text=result.collapse.text, blocks=answer_blocks(result.collapse), replace_original=True)
            else:
                client.chat_update(channel=channel, ts=str(container.get("message_ts")), text=result.collapse.text,
                                   blocks=answer_blocks(result.collapse))
        if result.note is not None:
            respond(text=result.note.text, response_type="ephemeral", replace_original=False)

    def on_show_card(action: dict[str, Any], respond: Respond) -> None:
        card = deps.catalog.card(str(action.get("value") or ""))
        if card is None:
            respond(text="That card is no longer in the catalog. Try `/mirage list`.", response_type="ephemeral",
                    replace_original=False)
            return
        respond(text=card_text(card), blocks=card_blocks(card), response_type="ephemeral", replace_original=False)

    app.action(FEEDBACK)(ack=acknowledge, lazy=[on_feedback])
    app.action(ACTION_SHOW_CARD)(ack=acknowledge, lazy=[on_show_card])
