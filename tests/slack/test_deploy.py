"""The Slack manifests match what the app uses, and HTTP mode answers /healthz and /slack/events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_bolt import App
from werkzeug.test import Client

from bot.runtime.probes import probe_routes
from bot.service.deps import Deps
from bot.slack.http import wsgi_app

from .signing import SECRET, event_body, sign

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "slack"
SCOPES = {"channels:history", "groups:history", "channels:read", "groups:read", "app_mentions:read", "chat:write",
          "reactions:write", "commands"}
EVENTS = {"message.channels", "message.groups", "app_mention", "app_home_opened"}


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize(("name", "socket"), [("manifest.yaml", True), ("manifest-http.yaml", False)])
def test_manifest_has_every_scope_event_command_and_interactivity(name: str, socket: bool) -> None:
    """Both manifests ask for exactly the scopes used, subscribe to the four events, define /mirage and buttons."""
    m = load(name)
    assert set(m["oauth_config"]["scopes"]["bot"]) == SCOPES
    assert set(m["settings"]["event_subscriptions"]["bot_events"]) == EVENTS
    assert [c["command"] for c in m["features"]["slash_commands"]] == ["/mirage"]
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["settings"]["socket_mode_enabled"] is socket
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    if not socket:
        assert m["settings"]["event_subscriptions"]["request_url"].endswith("/slack/events")
        assert m["settings"]["interactivity"]["request_url"].endswith("/slack/events")


def test_http_routes(app: App, deps: Deps) -> None:
    """/healthz is 200 with a working database; /slack/events checks signatures (401 unsigned, 200 signed); else 404."""
    client = Client(wsgi_app(app, SECRET, probe_routes(deps)))
    assert client.get("/healthz").status_code == 200
    assert client.get("/nope").status_code == 404
    body = event_body({"type": "message", "channel": "C1", "user": "U1", "text": "hello", "ts": "1.000001"}, "Ev1")
    assert client.post("/slack/events", data=body, content_type="application/json").status_code == 401
    signed = client.post("/slack/events", data=body, content_type="application/json", headers=sign(body))
    assert signed.status_code == 200
