"""`app_home_opened`: publish the App Home tab (acknowledged first; published on the interactive executor)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.service.deps import Deps
from bot.service.home import home
from bot.slack.blocks import home_view
from bot.slack.events import workspace_of


def register(app: App, deps: Deps) -> None:
    def acknowledge(ack: Ack) -> None:
        ack()

    def publish(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        client.views_publish(user_id=str(event.get("user")), view=home_view(home(deps, workspace_of(body))))

    app.event("app_home_opened")(ack=acknowledge, lazy=[publish])
