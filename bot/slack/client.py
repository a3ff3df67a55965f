"""The Slack Web API client: pointed at SLACK_API_URL, retrying on 429 (honouring Retry-After) and connection errors,
and counting every call and every failure by method (bot.metrics) in one place, `CountingWebClient.api_call`."""

from __future__ import annotations

import copy
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.web import SlackResponse

from bot.metrics import Metrics
from bot.settings import Settings

RATE_LIMIT_RETRIES = 3
CONNECTION_RETRIES = 2
TIMEOUT_SECONDS = 10


class CountingWebClient(WebClient):
    """slack_sdk's WebClient, counting each Web API call (once, after the client's own retries) and each failure:
    Slack's error code for an error answer, the exception type for a network failure."""

    def __init__(self, *args: Any, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.metrics = metrics

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        try:
            response = super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            self.metrics.slack_call(api_method, error=exc.response.get("error") or "error")
            raise
        except (SlackClientError, OSError) as exc:
            self.metrics.slack_call(api_method, error=type(exc).__name__)
            raise
        self.metrics.slack_call(api_method)
        return response

    def __deepcopy__(self, memo: dict[int, Any]) -> CountingWebClient:
        """A copy that counts into the same Metrics (Bolt deep-copies the request, client included, for each lazy
        listener; the registry, with its locks, is shared, not copied)."""
        clone = self.__class__.__new__(self.__class__)
        state = {key: value for key, value in self.__dict__.items() if key != "metrics"}
        clone.__dict__.update(copy.deepcopy(state, memo))
        clone.metrics = self.metrics
        return clone


def counting(client: WebClient, metrics: Metrics) -> CountingWebClient:
    """`client` as a CountingWebClient (the same object when it already is one): same token, URL, team and retries.
    Bolt builds a plain WebClient per request; its middleware swaps that for this (bot.slack.app)."""
    if isinstance(client, CountingWebClient):
        return client
    return CountingWebClient(token=client.token, base_url=client.base_url, timeout=client.timeout, ssl=client.ssl,
                             proxy=client.proxy, headers=dict(client.headers),
                             team_id=client.default_params.get("team_id"),
                             logger=client.logger, retry_handlers=client.retry_handlers, metrics=metrics)


def build_client(settings: Settings, metrics: Metrics | None = None, token: str | None = None) -> WebClient:
    """The Web API client, with SLACK_BOT_TOKEN or (many workspaces) the given workspace's `token`; with
    `metrics`, every call is counted there."""
    base_url = settings.slack_api_url if settings.slack_api_url.endswith("/") else settings.slack_api_url + "/"
    options: dict[str, Any] = {
        "token": token or settings.slack_bot_token,
        "base_url": base_url,
        "timeout": TIMEOUT_SECONDS,
        "retry_handlers": [
            RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            ConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
        ],
    }
    if metrics is None:
        return WebClient(**options)
    return CountingWebClient(**options, metrics=metrics)
