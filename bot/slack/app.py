"""The Bolt app: one factory, listeners wired explicitly, one error handler."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.middleware.request_verification import RequestVerification
from slack_sdk import WebClient

from bot.service.deps import Deps
from bot.settings import Settings
from bot.slack.client import build_client
from bot.slack.listeners import actions, command, home, mention, message
from bot.slack.replay_guard import ReplayGuard

log = logging.getLogger(__name__)


class QuietRequestVerification(RequestVerification):
    """Bolt's signature check, logging a bad signature without the request body (Bolt logs the whole body at
    INFO: message text, and megabytes of it for an unsigned flood)."""

    def _debug_log_error(self, signature: str, timestamp: str, body: str) -> None:
        self.logger.info("Invalid request signature detected (timestamp %s, %d-character body not logged)",
                         timestamp[:20], len(body))


def _quiet_request_verification(app: App, signing_secret: str) -> None:
    """Swap Bolt's RequestVerification middleware for the quiet one, in place (same position, same check)."""
    middleware = app._middleware_list
    for index, found in enumerate(middleware):
        if type(found) is RequestVerification:
            middleware[index] = QuietRequestVerification(signing_secret, base_logger=app.logger)
            return
    raise RuntimeError("Bolt's RequestVerification middleware was not found")


def build_app(
    settings: Settings,
    deps: Deps,
    client: WebClient | None = None,
    process_before_response: bool = False,
    workers: int = 8,
) -> App:
    """The Slack app for `settings`. Needs SLACK_BOT_TOKEN; SLACK_SIGNING_SECRET for HTTP mode.

    `process_before_response=True` runs listeners before answering the HTTP request (tests, FaaS); the default
    acknowledges first and runs listeners on `workers` threads.
    """
    if not settings.slack_bot_token:
        raise ValueError("SLACK_BOT_TOKEN is not set")
    app = App(
        signing_secret=settings.slack_signing_secret or "",
        client=client or build_client(settings),
        process_before_response=process_before_response,
        logger=logging.getLogger("mirage.slack"),
        listener_executor=ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mirage-listener"),
    )
    _quiet_request_verification(app, settings.slack_signing_secret or "")
    app.use(ReplayGuard(deps.engine, deps.clock))
    for module in (message, mention, command, actions, home):
        module.register(app, deps)

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
        kind = body.get("type") or (body.get("event") or {}).get("type") or body.get("command")
        log.error("Mirage failed handling %s: %s", kind, error, exc_info=error)
        return None

    return app
