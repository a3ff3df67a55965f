"""The web part: receive Slack's events, store them in the inbox and acknowledge them (HTTP or Socket Mode).

Both block until the process is told to stop (SIGTERM raises SystemExit in the main thread).
"""

from __future__ import annotations

import logging

from slack_bolt import App

from bot.service.deps import Deps
from bot.settings import Settings
from bot.slack.http import Routes, create
from bot.slack.intake import direct_intake
from bot.slack.paths import EVENTS_PATH

log = logging.getLogger(__name__)


def serve_http(app: App, deps: Deps, bot_user_id: str | None, settings: Settings, host: str, port: int,
               routes: Routes) -> None:
    """Waitress on host:port: /slack/events (message events straight to the inbox) and `routes` (the probes)."""
    server = create(app, host, port, settings.slack_signing_secret, routes, intake=direct_intake(deps, bot_user_id))
    log.info("Mirage listening on http://%s:%s%s", host, server.effective_port, EVENTS_PATH)
    try:
        server.run()  # returns on SIGTERM (waitress stops taking requests and lets the ones in flight finish)
    finally:
        server.close()


def serve_socket_mode(app: App, settings: Settings) -> None:
    """Socket Mode: events come over the WebSocket and are stored before the ack is sent back."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    log.info("Mirage connecting in Socket Mode")
    SocketModeHandler(app, settings.slack_app_token).start()  # type: ignore[no-untyped-call]
