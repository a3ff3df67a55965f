"""Durable intake: a Slack event is checked, cleaned and stored in the inbox *before* it is acknowledged.

`accept_event` is called in the request thread. It returns quickly (one INSERT); when the database cannot take the
write it raises `IntakeUnavailable`, and the HTTP layer answers 503 so that Slack delivers the event again
(at-least-once intake). Plain chatter (no benchmark or user-evidence word at all, by the detector's exact
pre-filter) is handled in full in that same transaction: its row goes in done, with the channel's counter. Events
Mirage has nothing to do with (bots, itself, edits, joins) and events it cannot
use (no channel, an impossible ts) are acknowledged without being stored, with the reason logged (never the text).
Text with NUL characters or lone surrogates (neither survives UTF-8 or PostgreSQL) is stored with U+FFFD instead.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from bot.logs import log_fields
from bot.policy import ignored
from bot.service.deps import Deps
from bot.service.messages import IncomingMessage, count_chatter, is_plain_chatter
from bot.slack.events import incoming_message, workspace_of
from bot.slack.teams import Teams
from bot.storable import UNSAFE, storable
from bot.store import inbox

log = logging.getLogger(__name__)

SLACK_TS = re.compile(r"^\d{1,12}(\.\d{1,9})?$")  # seconds since the epoch, optionally with microseconds
MAX_ID = 200


class IntakeUnavailable(RuntimeError):
    """The inbox could not be written: the event must not be acknowledged (Slack will retry it)."""


@dataclass(frozen=True, slots=True)
class Intake:
    """What happened to one event at intake: stored (new), already there (a retry), or skipped (with why)."""

    stored: bool = False
    duplicate: bool = False
    skipped: str | None = None


def valid_ts(value: object) -> str | None:
    """A Slack ts as text, or None when it is not one ("inf", "nan", negative, a number with an exponent...)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = value if isinstance(value, str) else repr(value)
    return text if SLACK_TS.match(text) else None


def _identifier(value: object) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= MAX_ID and not UNSAFE.search(value):
        return value
    return None


@dataclass(frozen=True, slots=True)
class Read:
    """An event ready for the inbox, and the message it carries (None for a deletion)."""

    item: inbox.NewItem
    message: IncomingMessage | None = None


def read_event(body: Mapping[str, Any], bot_user_id: str | None) -> Read | str:
    """The inbox row for an Events API envelope, or the reason it is not stored."""
    event = body.get("event")
    if not isinstance(event, Mapping):
        return "envelope without an event object"
    kind = event.get("type")
    if kind not in ("message", "app_mention"):
        return f"event type {str(kind)[:40]!r} is not processed through the inbox"
    channel = _identifier(event.get("channel"))
    if channel is None:
        return "event without a channel id (missing or not a string)"
    workspace = workspace_of(body)
    if len(workspace) > MAX_ID or UNSAFE.search(workspace):
        return "event with an unusable workspace id"
    try:
        cleaned, replaced = storable(dict(body))
    except ValueError as exc:
        return str(exc)
    event = cleaned["event"]
    subtype = event.get("subtype")
    if subtype is not None and (not isinstance(subtype, str) or len(subtype) > MAX_ID):
        return "message with an unusable subtype"
    if replaced:
        log.info("event %s: %d NUL or lone-surrogate characters replaced by U+FFFD", body.get("event_id"), replaced)
    event_id = _identifier(cleaned.get("event_id"))
    if event.get("subtype") == "message_deleted":
        deleted = valid_ts(event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts"))
        if deleted is None:
            return "message_deleted without a valid deleted_ts"
        return Read(inbox.NewItem(event_id=event_id or f"deleted:{inbox.message_key(workspace, channel, deleted)}",
                                  kind="deleted", workspace_id=workspace, channel_id=channel,
                                  payload=json.dumps(cleaned, ensure_ascii=True)))
    ts = valid_ts(event.get("ts"))
    if ts is None:
        return "message without a valid ts"
    event["ts"] = ts
    thread_ts = event.get("thread_ts")
    if thread_ts is not None:
        if valid_ts(thread_ts) is None:
            return "message with an invalid thread_ts"
        event["thread_ts"] = valid_ts(thread_ts)
    if event.get("user") is not None and _identifier(event.get("user")) is None:
        return "message with an unusable user id"
    if not isinstance(event.get("text", ""), str):
        return "message whose text is not a string"
    message = incoming_message(cleaned, event, bot_user_id)
    skip = ignored(message.facts)
    if skip is not None:
        return skip.reason
    key = inbox.message_key(workspace, channel, ts)
    return Read(inbox.NewItem(event_id=event_id or key, kind="message", workspace_id=workspace, channel_id=channel,
                              payload=json.dumps(cleaned, ensure_ascii=True), message_key=key), message)


def accept_event(deps: Deps, body: Mapping[str, Any], bot_user_id: str | None) -> Intake:
    """Store one event in the inbox (or say why not), then wake the worker. Raises IntakeUnavailable."""
    event = body.get("event")
    deps.metrics.event_received(event.get("type") if isinstance(event, Mapping) else None)
    read = read_event(body, bot_user_id)
    if isinstance(read, str):
        event_id = str(body.get("event_id"))[:MAX_ID]
        channel = event.get("channel") if isinstance(event, Mapping) else None
        log.info("event %s skipped: %s", event_id, read,
                 extra=log_fields(event_id=event_id, workspace=workspace_of(body), channel=_identifier(channel)))
        deps.metrics.intake.labels("skipped").inc()
        return Intake(skipped=read)
    chatter = read.message is not None and not mentions(read.message.text, bot_user_id) and \
        is_plain_chatter(deps, read.message)
    try:
        stored = _store_once_more(deps, read, chatter)
    except IntakeUnavailable:
        deps.metrics.intake.labels("unavailable").inc()
        raise
    if stored and not chatter:
        deps.wake()
    deps.metrics.intake.labels("stored" if stored else "duplicate").inc()
    return Intake(stored=stored, duplicate=not stored)


def _store_once_more(deps: Deps, read: Read, chatter: bool) -> bool:
    """`_store`, once more on a fresh connection when the pool was reset; IntakeUnavailable when it fails."""
    try:
        return _store(deps, read, chatter)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise IntakeUnavailable(f"inbox write failed: {type(exc).__name__}") from None
        try:  # the pool was reset (a stale or read-only connection): once more on a fresh connection
            return _store(deps, read, chatter)
        except SQLAlchemyError as again:
            raise IntakeUnavailable(f"inbox write failed: {type(again).__name__}") from None
    except SQLAlchemyError as exc:
        raise IntakeUnavailable(f"inbox write failed: {type(exc).__name__}") from None


def mentions(text: str, bot_user_id: str | None) -> bool:
    return bool(bot_user_id) and f"<@{bot_user_id}" in text


def _store(deps: Deps, read: Read, chatter: bool) -> bool:
    """One transaction: the inbox row, and for plain chatter its whole effect too (the row goes in done)."""
    if chatter and read.message is not None:
        deps.channel_facts(read.message.workspace_id, read.message.channel_id)  # cached read, outside the write
    with deps.writing(urgent=True) as s:
        stored = inbox.accept(s, read.item, done=chatter)
        if stored and chatter and read.message is not None:
            count_chatter(deps, s, read.message)
        return stored


def direct_intake(deps: Deps, bot_user_id: str | None, teams: Teams | None = None) -> Callable[[dict[str, Any]], bool]:
    """`accept_event` for the HTTP layer's direct path (bot.slack.http): True when stored (or nothing to store),
    False when the inbox could not be written (the request is then answered 503).

    With `teams` (many workspaces) the bot user is the event's workspace's, and an event from a workspace Mirage is
    not installed in is acknowledged and not stored, with one log line (Slack need not send it again)."""

    def take(body: dict[str, Any]) -> bool:
        bot_user = bot_user_id
        if teams is not None:
            workspace = workspace_of(body)
            team = teams.team(workspace)
            if team is None:
                log.warning("event %s refused: Mirage is not installed in workspace %s; not stored",
                            str(body.get("event_id"))[:MAX_ID], workspace[:MAX_ID])
                return True
            bot_user = team.identity.user_id
        try:
            accept_event(deps, body, bot_user)
        except IntakeUnavailable as exc:
            event_id = str(body.get("event_id"))[:MAX_ID]
            log.error("event %s not stored, answered 503 so Slack retries it: %s", event_id, exc,
                      extra=log_fields(event_id=event_id))
            return False
        return True

    return take
