"""Signed Slack requests, as Slack sends them: X-Slack-Request-Timestamp and X-Slack-Signature (v0 HMAC-SHA256)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

SECRET = "test-signing-secret"


def sign(body: str, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    moment = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{moment}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": moment, "x-slack-signature": f"v0={digest}"}


def event_body(event: dict[str, Any], event_id: str, team: str = "T0TEAM") -> str:
    """An Events API envelope (event_callback) around `event`, as JSON text."""
    return json.dumps({
        "token": "legacy", "team_id": team, "api_app_id": "A0MIRAGE", "type": "event_callback",
        "event_id": event_id, "event_time": int(time.time()), "event": event,
        "authorizations": [{"team_id": team, "user_id": "UMIRAGE", "is_bot": True}],
    })


def command_body(text: str, response_url: str, channel: str = "C0GENERAL", user: str = "U0ALICE",
                 team: str = "T0TEAM") -> str:
    """A slash command's form body, as Slack posts it."""
    return urlencode({
        "token": "legacy", "team_id": team, "team_domain": "test", "channel_id": channel, "channel_name": "general",
        "user_id": user, "user_name": "alice", "command": "/mirage", "text": text, "api_app_id": "A0MIRAGE",
        "response_url": response_url, "trigger_id": "1.2.3",
    })


def actions_body(action_id: str, value: str, message_ts: str, response_url: str, channel: str = "C0GENERAL",
                 user: str = "U0BOB", team: str = "T0TEAM", ephemeral: bool = False) -> str:
    """A block_actions payload, form-encoded as Slack posts it (payload=<json>)."""
    payload = {
        "type": "block_actions", "team": {"id": team, "domain": "test"}, "user": {"id": user, "team_id": team},
        "api_app_id": "A0MIRAGE", "token": "legacy", "trigger_id": "1.2.3", "response_url": response_url,
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": ephemeral},
        "channel": {"id": channel, "name": "general"},
        "message": {"type": "message", "ts": message_ts, "user": "UMIRAGE", "bot_id": "BMIRAGE", "text": "..."},
        "actions": [{"type": "button", "action_id": action_id, "block_id": "mirage_reply:FM-16", "value": value,
                     "text": {"type": "plain_text", "text": "x"}, "action_ts": str(time.time())}],
    }
    return urlencode({"payload": json.dumps(payload)})
