"""The web part: receive Slack's events, store them in the inbox and acknowledge them (HTTP or Socket Mode).

Both block until the process is told to stop (SIGTERM raises SystemExit in the main thread).
"""

from __future__ import annotations

import logging

from slack_bolt import App

from bot.settings import Settings
from bot.slack.http import Routes, create
from bot.slack.paths import EVENTS_PATH, INSTALL_PATH
from bot.slack.serving import Slack

log = logging.getLogger(__name__)


def serve_http(slack: Slack, settings: Settings, host: str, port: int, routes: Routes) -> None:
    """Waitress on host:port: /slack/events (message events straight to the inbox), `routes` (the probes) and, with
    many workspaces, the OAuth install pages."""
    server = create(slack.app, host, port, settings.slack_signing_secret, routes, intake=slack.intake,
                    install=slack.many)
    log.info("Mirage listening on http://%s:%s%s%s", host, server.effective_port, EVENTS_PATH,
             f" (many workspaces: install at {INSTALL_PATH})" if slack.many else "")
    try:
        server.run()  # returns on SIGTERM (waitress stops taking requests and lets the ones in flight finish)
    finally:
        server.close()


def serve_socket_mode(app: App, settings: Settings) -> None:
    """Socket Mode: events come over the WebSocket and are stored before the ack is sent back."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    log.info("Mirage connecting in Socket Mode")
    SocketModeHandler(app, settings.slack_app_token).start()  # type: ignore[no-untyped-call]
