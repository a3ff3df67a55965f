"""The Bolt app: one factory, listeners wired explicitly, one error handler.

Every request is answered from the request thread (Bolt's `process_before_response`): events are stored in the
inbox first and acknowledged after (bot.slack.intake); commands, buttons and the Home tab are acknowledged at once
and worked out afterwards on the interactive executor, a thread pool of their own, never behind the message
backlog (messages are processed by the inbox worker, bot.service.worker). `auth.test` is called once, here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.middleware.request_verification import RequestVerification
from slack_sdk import WebClient

from bot.metrics import Metrics
from bot.service.deps import Deps
from bot.settings import Settings
from bot.slack.client import build_client, counting
from bot.slack.intake import IntakeUnavailable
from bot.slack.listeners import actions, command, home, mention, message, uninstall
from bot.slack.oauth import OAuth
from bot.slack.replay_guard import ReplayGuard
from bot.slack.teams import BotIdentity

log = logging.getLogger(__name__)
INTERACTIVE_WORKERS = 8


def read_identity(client: WebClient) -> tuple[BotIdentity, AuthorizeResult]:
    """The one auth.test: who Mirage is (for permalinks, `is_self`, mentions) and Bolt's authorization."""
    response = client.auth_test()
    identity = BotIdentity(user_id=response.get("user_id"), bot_id=response.get("bot_id"),
                           team_id=response.get("team_id"), url=response.get("url"))
    return identity, AuthorizeResult.from_auth_test_response(auth_test_response=response, bot_token=client.token)


HANDLED_EVENTS = frozenset({"message", "app_mention", "app_home_opened"})
OAUTH_EVENTS = frozenset({"app_uninstalled", "tokens_revoked"})  # handled in the many-workspaces mode


def _acknowledge_unhandled(handled: frozenset[str]) -> Callable[..., BoltResponse]:
    def acknowledge_unhandled_events(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse:
        """An event Mirage has no listener for is acknowledged (200, so Slack does not retry it), not logged in
        full."""
        if body.get("type") == "event_callback":
            event = body.get("event")
            kind = event.get("type") if isinstance(event, dict) else None
            if not isinstance(kind, str) or kind not in handled:
                log.info("event %s acknowledged, nothing to do for type %r", str(body.get("event_id"))[:100],
                         str(kind)[:40])
                return BoltResponse(status=200, body="")
        return next()

    return acknowledge_unhandled_events


acknowledge_unhandled_events = _acknowledge_unhandled(HANDLED_EVENTS)


INTAKE_EVENTS = frozenset({"message", "app_mention"})  # counted at intake (bot.slack.intake), on every path


def observe(metrics: Metrics) -> Callable[..., BoltResponse]:
    """Middleware: count the events that do not go through intake, and give the listeners a Web API client that
    counts its calls (Bolt builds a plain WebClient per request)."""

    def middleware(body: dict[str, Any], context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
        if body.get("type") == "event_callback":
            event = body.get("event")
            kind = event.get("type") if isinstance(event, dict) else None
            if not isinstance(kind, str) or kind not in INTAKE_EVENTS:
                metrics.event_received(kind if isinstance(kind, str) else None)
        if context.client is not None:
            context["client"] = counting(context.client, metrics)
        return next()

    return middleware


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


class _TokenSkippedFilter(logging.Filter):
    """Drops Bolt's "token will be unused" warning: Bolt reads SLACK_BOT_TOKEN from the environment even though the
    client we pass carries that same token, so the warning would show at every start and mean nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


def build_app(
    settings: Settings,
    deps: Deps,
    client: WebClient | None = None,
    listener_executor: Executor | None = None,
    authorization: AuthorizeResult | None = None,
    oauth: OAuth | None = None,
) -> App:
    """The Slack app for `settings`. Needs SLACK_BOT_TOKEN, or `oauth` (many workspaces: bot.slack.oauth);
    SLACK_SIGNING_SECRET for HTTP mode.

    `authorization` is the result of `read_identity` (called here when not given). `listener_executor` runs the
    work after the ack of commands, buttons and the Home tab (default: its own thread pool). With `oauth`, Bolt
    serves the install pages and authorizes each request with its workspace's token (`TeamsAuthorize`), and
    `app_uninstalled` / `tokens_revoked` remove the workspace.
    """
    if oauth is None and not settings.slack_bot_token:
        raise ValueError("SLACK_BOT_TOKEN is not set")
    api = client or build_client(settings, deps.metrics)
    auth: dict[str, Any]
    if oauth is None:
        if authorization is None:
            _, authorization = read_identity(api)
        known = authorization
        auth = {"authorize": lambda: known}
    else:
        auth = {"oauth_settings": oauth.settings, "authorize": oauth.authorize}
    # A client without a token makes Bolt take the token from `authorize` (the one auth.test, or the workspace's).
    tokenless = WebClient(token=None, base_url=api.base_url, timeout=api.timeout, retry_handlers=api.retry_handlers)
    bolt_log = logging.getLogger("mirage.slack")
    if not any(isinstance(f, _TokenSkippedFilter) for f in bolt_log.filters):
        bolt_log.addFilter(_TokenSkippedFilter())
    app = App(
        signing_secret=settings.slack_signing_secret or "",
        client=tokenless,
        process_before_response=True,
        logger=bolt_log,
        listener_executor=listener_executor or ThreadPoolExecutor(max_workers=INTERACTIVE_WORKERS,
                                                                  thread_name_prefix="mirage-interactive"),
        **auth,
    )
    app.use(observe(deps.metrics))
    app.use(acknowledge_unhandled_events if oauth is None else _acknowledge_unhandled(HANDLED_EVENTS | OAUTH_EVENTS))
    _quiet_request_verification(app, settings.slack_signing_secret or "")
    app.use(ReplayGuard(deps.engine, deps.clock))
    for module in (message, mention, command, actions, home):
        module.register(app, deps)
    if oauth is not None:
        store = oauth.installations
        uninstall.register(app, deps, store.remove,
                           lambda team, user: store.delete_installation(enterprise_id=None, team_id=team, user_id=user))

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
        kind = body.get("type") or (body.get("event") or {}).get("type") or body.get("command")
        if isinstance(error, IntakeUnavailable):
            log.error("event %s not stored, answered 503 so Slack retries it: %s", body.get("event_id"), error)
            return BoltResponse(status=503, body="")
        log.error("Mirage failed handling %s: %s", kind, error, exc_info=error)
        return None

    return app
