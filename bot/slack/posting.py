"""Talking back to Slack for a handled message: read the thread, fetch a permalink, post what the Outcome says.

Failures of the Web API (after the client's own retries) are caught by type and kept on the incident; nothing here
swallows programming errors.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.service.deps import Deps
from bot.service.messages import REACTION, IncomingMessage, record_post
from bot.service.model import Outcome
from bot.slack.blocks import answer_blocks

log = logging.getLogger(__name__)
THREAD_LIMIT = 50
API_ERRORS = (SlackClientError, OSError)  # what a Web API call raises once its retries are spent


def thread_reader(client: WebClient, channel: str, thread_ts: str, before_ts: str) -> Callable[[], Sequence[str]]:
    """A callable returning the thread's earlier human messages, oldest first (read only when called)."""

    def read() -> Sequence[str]:
        try:
            response = client.conversations_replies(channel=channel, ts=thread_ts, limit=THREAD_LIMIT)
        except API_ERRORS as exc:
            log.warning("could not read thread %s in %s: %s", thread_ts, channel, exc)
            return ()
        messages: list[dict[str, Any]] = response.get("messages") or []
        return [
            str(m.get("text") or "")
            for m in messages
            if not m.get("bot_id") and m.get("subtype") is None and _ts(m.get("ts")) < _ts(before_ts)
        ]

    return read


def _ts(value: object) -> float:
    try:
        return float(str(value))
    except ValueError:
        return 0.0


class Permalinks:
    """Message permalinks built from the workspace URL (one auth.test per process), not one API call per claim:
    https://<workspace>.slack.com/archives/<channel>/p<ts without the dot>[?thread_ts=...&cid=...]."""

    def __init__(self, client: WebClient) -> None:
        self.client = client
        self._base: str | None = None
        self._lock = threading.Lock()

    def base(self) -> str | None:
        with self._lock:
            if self._base is None:
                try:
                    self._base = str(self.client.auth_test().get("url") or "")
                except API_ERRORS as exc:
                    log.warning("no workspace URL for permalinks: %s", exc)
                    return None
            return self._base or None

    def reader(self, channel: str, message_ts: str, thread_ts: str | None = None) -> Callable[[], str | None]:
        def read() -> str | None:
            base = self.base()
            if base is None:
                return None
            link = f"{base.rstrip('/')}/archives/{channel}/p{message_ts.replace('.', '')}"
            if thread_ts and thread_ts != message_ts:
                link += f"?thread_ts={thread_ts}&cid={channel}"
            return link

        return read


def post_outcome(client: WebClient, deps: Deps, message: IncomingMessage, outcome: Outcome) -> None:
    """Post the reply / ephemeral note / reaction the outcome calls for, and record where it went or why it failed."""
    if not outcome.should_post:
        return
    channel = message.channel_id
    decision = outcome.decision
    try:
        if decision.action == "reaction":
            client.reactions_add(channel=channel, timestamp=message.facts.ts, name=REACTION)
            record_post(deps, outcome, channel, message.facts.ts)
            return
        answer = outcome.answer
        if answer is None:
            return
        if decision.action == "ephemeral":
            client.chat_postEphemeral(channel=channel, user=message.facts.user or "", text=answer.text,
                                      blocks=answer_blocks(answer), thread_ts=decision.thread_ts)
            record_post(deps, outcome, channel, None)
            return
        response = client.chat_postMessage(channel=channel, thread_ts=decision.thread_ts, text=answer.text,
                                           blocks=answer_blocks(answer), unfurl_links=False, unfurl_media=False)
        record_post(deps, outcome, str(response.get("channel") or channel), str(response.get("ts") or "") or None)
    except API_ERRORS as exc:
        log.error("posting %s for incident %s failed: %s", decision.action, outcome.incident_id, exc)
        record_post(deps, outcome, None, None, error=f"{type(exc).__name__}: {exc}"[:500])


def delete_replies(client: WebClient, replies: Sequence[tuple[str, str]]) -> int:
    """Delete Mirage's replies to a message that was deleted; the number deleted."""
    deleted = 0
    for channel, ts in replies:
        try:
            client.chat_delete(channel=channel, ts=ts)
            deleted += 1
        except API_ERRORS as exc:
            log.warning("could not delete reply %s in %s: %s", ts, channel, exc)
    return deleted


GONE_CHANNEL_ERRORS = frozenset({"is_archived", "channel_not_found"})


def digest_poster(client: WebClient, deps: Deps) -> Callable[[str, str, list[dict[str, Any]], str], None]:
    """Post a weekly digest; a channel Slack says is archived or gone is marked archived, so it is not tried again.

    The error still propagates, so the digest run is recorded as failed with Slack's reason.
    """
    from slack_sdk.errors import SlackApiError

    from bot.store import queries
    from bot.store.engine import session_scope

    def post(workspace_id: str, channel_id: str, blocks: list[dict[str, Any]], text: str) -> None:
        try:
            client.chat_postMessage(channel=channel_id, blocks=blocks, text=text, unfurl_links=False)
        except SlackApiError as exc:
            if exc.response.get("error") in GONE_CHANNEL_ERRORS:
                log.warning("digest: %s/%s is %s; no more digests there", workspace_id, channel_id,
                            exc.response.get("error"))
                with session_scope(deps.engine) as s:
                    queries.set_archived(s, workspace_id, channel_id, archived=True)
            raise

    return post
