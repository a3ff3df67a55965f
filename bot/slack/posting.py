"""Talking back to Slack for a handled message: read the thread, fetch a permalink, post what the Outcome says.

Failures of the Web API (after the client's own retries) are caught by type and kept on the incident; nothing here
swallows programming errors.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.logs import log_fields
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
    """Message permalinks built from the workspace URL (read once, by the auth.test at start), not one API call per
    claim: https://<workspace>.slack.com/archives/<channel>/p<ts without the dot>[?thread_ts=...&cid=...]."""

    def __init__(self, workspace_url: str | None) -> None:
        self._base = workspace_url or None

    def base(self) -> str | None:
        return self._base

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


class PostUncertain(RuntimeError):
    """A post failed in a way that may still have delivered it (a timeout, a dropped connection) and no such reply
    was found in the thread: the inbox retries the message later, and the retry looks again before posting."""


METADATA_EVENT = "mirage_reply"


def reply_metadata(incident_id: int | None) -> dict[str, Any]:
    """Slack message metadata on every reply, so a post whose answer was lost can be found again."""
    return {"event_type": METADATA_EVENT, "event_payload": {"incident_id": str(incident_id)}}


def _is_reply_to(message: Mapping[str, Any], incident_id: int, bot_user_id: str | None) -> bool:
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") == METADATA_EVENT:
        return str((metadata.get("event_payload") or {}).get("incident_id")) == str(incident_id)
    if bot_user_id is None or message.get("user") != bot_user_id:
        return False
    for block in message.get("blocks") or ():
        for element in block.get("elements") or () if isinstance(block, Mapping) else ():
            if isinstance(element, Mapping) and element.get("value") == str(incident_id):
                return True
    return False


def find_reply(client: WebClient, channel: str, thread_ts: str, incident_id: int,
               bot_user_id: str | None) -> str | None:
    """The ts of Mirage's reply about `incident_id` in the thread, if it is there (by metadata or button value)."""
    try:
        response = client.conversations_replies(channel=channel, ts=thread_ts, limit=200, include_all_metadata=True)
    except API_ERRORS as exc:
        raise PostUncertain(f"could not read thread {thread_ts} to reconcile: {type(exc).__name__}") from None
    for found in response.get("messages") or ():
        if isinstance(found, Mapping) and _is_reply_to(found, incident_id, bot_user_id):
            return str(found.get("ts") or "") or None
    return None


def post_outcome(client: WebClient, deps: Deps, message: IncomingMessage, outcome: Outcome,
                 bot_user_id: str | None = None, pace: Callable[[str], None] | None = None) -> None:
    """Post the reply / ephemeral note / reaction the outcome calls for, and record where it went or why it failed.

    A Slack error answer (channel_not_found, ...) is final and kept on the incident. A timeout or dropped
    connection is not an answer: the thread is read for the reply (metadata, button values) and, if it is not
    there, PostUncertain is raised so the message is retried; `outcome.resume` looks first, then posts.
    `pace(channel)` is called right before a message is posted (the per-channel posting limit).
    """
    if not (outcome.should_post or outcome.resume):
        return
    channel = message.channel_id
    decision = outcome.decision
    incident_id = outcome.incident_id
    thread_ts = decision.thread_ts or message.facts.thread_key
    if outcome.resume and decision.action == "reply" and incident_id is not None:
        found = find_reply(client, channel, thread_ts, incident_id, bot_user_id)
        if found is not None:
            log.info("reply for incident %s found in the thread; not posted again", incident_id)
            record_post(deps, outcome, channel, found)
            return
    try:
        if decision.action == "reaction":
            try:
                client.reactions_add(channel=channel, timestamp=message.facts.ts, name=REACTION)
            except SlackApiError as exc:
                if exc.response.get("error") != "already_reacted":
                    raise
            record_post(deps, outcome, channel, message.facts.ts)
            return
        answer = outcome.answer
        if answer is None:
            return
        if pace is not None:
            pace(channel)
        if decision.action == "ephemeral":
            client.chat_postEphemeral(channel=channel, user=message.facts.user or "", text=answer.text,
                                      blocks=answer_blocks(answer), thread_ts=decision.thread_ts)
            record_post(deps, outcome, channel, None)
            return
        response = client.chat_postMessage(channel=channel, thread_ts=decision.thread_ts, text=answer.text,
                                           blocks=answer_blocks(answer), unfurl_links=False, unfurl_media=False,
                                           metadata=reply_metadata(incident_id))
        record_post(deps, outcome, str(response.get("channel") or channel), str(response.get("ts") or "") or None)
    except SlackApiError as exc:
        log.error("posting %s for incident %s failed: %s", decision.action, incident_id,
                  exc.response.get("error") or type(exc).__name__,
                  extra=log_fields(channel=channel, action=decision.action, incident=incident_id))
        record_post(deps, outcome, None, None, error=f"SlackApiError: {exc.response.get('error')}"[:500])
    except API_ERRORS as exc:
        if decision.action == "reply" and incident_id is not None:
            found = find_reply(client, channel, thread_ts, incident_id, bot_user_id)
            if found is not None:
                log.info("post for incident %s failed (%s) but the reply is in the thread", incident_id,
                         type(exc).__name__)
                record_post(deps, outcome, channel, found)
                return
        raise PostUncertain(f"posting {decision.action} for incident {incident_id}: {type(exc).__name__}") from None


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


class NotInstalled(RuntimeError):
    """Mirage is not installed in the workspace any more (many workspaces): nothing is posted there."""


def digest_poster(client: WebClient | Callable[[str], WebClient | None],
                  deps: Deps) -> Callable[[str, str, list[dict[str, Any]], str], None]:
    """Post a weekly digest; a channel Slack says is archived or gone is marked archived, so it is not tried again.

    The error still propagates, so the digest run is recorded as failed with Slack's reason. `client` is the bot's
    client, or (many workspaces) a function giving each workspace's (None: not installed, NotInstalled raised).
    """
    from slack_sdk.errors import SlackApiError

    from bot.store.channels import set_archived
    from bot.store.engine import session_scope

    def post(workspace_id: str, channel_id: str, blocks: list[dict[str, Any]], text: str) -> None:
        api = client if isinstance(client, WebClient) else client(workspace_id)
        if api is None:
            raise NotInstalled(f"Mirage is not installed in workspace {workspace_id}")
        try:
            api.chat_postMessage(channel=channel_id, blocks=blocks, text=text, unfurl_links=False)
        except SlackApiError as exc:
            deps.metrics.digest_runs.labels("failed").inc()
            if exc.response.get("error") in GONE_CHANNEL_ERRORS:
                log.warning("digest: %s/%s is %s; no more digests there", workspace_id, channel_id,
                            exc.response.get("error"), extra=log_fields(workspace=workspace_id, channel=channel_id))
                with session_scope(deps.engine) as s:
                    set_archived(s, workspace_id, channel_id, archived=True)
            raise
        except API_ERRORS:
            deps.metrics.digest_runs.labels("failed").inc()
            raise
        deps.metrics.digest_runs.labels("posted").inc()

    return post
