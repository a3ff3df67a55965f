"""The Bolt app: one factory, listeners wired explicitly, one error handler."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient

from bot.service.deps import Deps
from bot.settings import Settings
from bot.slack.client import build_client
from bot.slack.listeners import actions, command, home, mention, message

log = logging.getLogger(__name__)


class _TokenSkippedFilter(logging.Filter):
    """Drops Bolt's "token will be unused" warning: Bolt reads SLACK_BOT_TOKEN from the environment even though the
    client we pass carries that same token, so the warning would show at every start and mean nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


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
    bolt_log = logging.getLogger("mirage.slack")
    if not any(isinstance(f, _TokenSkippedFilter) for f in bolt_log.filters):
        bolt_log.addFilter(_TokenSkippedFilter())
    app = App(
        signing_secret=settings.slack_signing_secret or "",
        client=client or build_client(settings),
        process_before_response=process_before_response,
        logger=bolt_log,
        listener_executor=ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mirage-listener"),
    )
    for module in (message, mention, command, actions, home):
        module.register(app, deps)

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
        kind = body.get("type") or (body.get("event") or {}).get("type") or body.get("command")
        log.error("Mirage failed handling %s: %s", kind, error, exc_info=error)
        return None

    return app
