"""HTTP mode: the Bolt app behind a production WSGI server (waitress) with /slack/events and the probe routes
(and, with OAuth, Bolt's install page and redirect: bot.slack.oauth).

Before Bolt sees a request to /slack/events it is checked here, cheaply and without logging its body:
a body over MAX_BODY_BYTES is refused with 413 before it is read (waitress enforces the same limit while
reading); a missing, non-numeric or stale X-Slack-Request-Timestamp, or a bad signature, is 401; a body that is
not UTF-8, not a JSON object (events) or not a form with a JSON-object `payload` (interactivity) is 400.
Every other path is looked up in `routes` (path -> WSGI handler: /healthz, /readyz, and /metrics; built by
bot.runtime.probes, the same mapping the side server of Socket Mode and the worker and scheduler roles serves).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.slack.paths import EVENTS_PATH, INSTALL_PATH, OAUTH_REDIRECT_PATH

MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are well under this
MAX_SKEW_SECONDS = 300
StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
Routes = Mapping[str, WsgiApp]  # path -> handler, for everything but /slack/events
Intake = Callable[[dict[str, Any]], bool]  # store one event; False when it could not be stored
INBOX_EVENTS = ("message", "app_mention")

log = logging.getLogger(__name__)


class Rejected(Exception):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _answer(start_response: StartResponse, status: str, text: str) -> Iterable[bytes]:
    start_response(status, [("Content-Type", "text/plain")])
    return [text.encode() + b"\n"]


def _content_length(environ: dict[str, Any]) -> int:
    raw = str(environ.get("CONTENT_LENGTH") or "0").strip() or "0"
    if not raw.isdigit():
        raise Rejected("400 Bad Request", "bad Content-Length")
    return int(raw)


def _check_signature(secret: bytes, environ: dict[str, Any], body: bytes) -> None:
    """Slack's v0 signature, computed over the raw bytes (which may not even be UTF-8)."""
    stamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "")
    signature = str(environ.get("HTTP_X_SLACK_SIGNATURE") or "")
    if not stamp.isdigit() or len(stamp) > 12:
        raise Rejected("401 Unauthorized", "missing or non-numeric X-Slack-Request-Timestamp")
    if abs(time.time() - int(stamp)) > MAX_SKEW_SECONDS:
        raise Rejected("401 Unauthorized", "stale X-Slack-Request-Timestamp")
    expected = "v0=" + hmac.new(secret, b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise Rejected("401 Unauthorized", "invalid signature")


def _check_body(environ: dict[str, Any], body: bytes) -> dict[str, Any] | None:
    """400 unless the body is what Slack sends: a JSON object (returned), or a form (with a JSON-object
    `payload`; None)."""
    try:
        text = body.decode("utf-8")
        content_type = str(environ.get("CONTENT_TYPE") or "")
        if "application/x-www-form-urlencoded" in content_type:
            form = parse_qs(text, keep_blank_values=True)
            payload = form.get("payload")
            if payload is not None and not isinstance(json.loads(payload[0]), dict):
                raise Rejected("400 Bad Request", "payload is not a JSON object")
            if payload is None and "command" not in form and "ssl_check" not in form:
                raise Rejected("400 Bad Request", "form without payload or command")
            return None
        parsed = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Rejected("400 Bad Request", "malformed body") from None
    if not isinstance(parsed, dict):
        raise Rejected("400 Bad Request", "body is not a JSON object")
    return parsed


def _inbox_event(parsed: dict[str, Any] | None) -> bool:
    """A message or mention event: what goes straight to the inbox."""
    if parsed is None or parsed.get("type") != "event_callback":
        return False
    event = parsed.get("event")
    return isinstance(event, dict) and event.get("type") in INBOX_EVENTS


def wsgi_app(app: App, signing_secret: str | None = None, routes: Routes | None = None,
             max_body: int = MAX_BODY_BYTES, intake: Intake | None = None, install: bool = False) -> WsgiApp:
    """A WSGI callable: POST /slack/events -> checks -> Bolt; a path in `routes` -> its handler; else 404.

    With `signing_secret` the timestamp and signature are checked here (401) before the body is parsed (400);
    `routes` holds the probes (`bot.runtime.probes.probe_routes`). With `intake` (and the signature checked),
    message and mention events, already verified and parsed, go to it directly (the same `accept_event` Bolt's
    listeners call, without Bolt's dispatch per event): 200 once stored, 503 when the inbox cannot be written.
    With `install` (many workspaces) GET INSTALL_PATH and OAUTH_REDIRECT_PATH go to Bolt's OAuth flow.
    """
    if signing_secret is None:
        intake = None  # never skip Bolt's own signature check
    bolt = SlackRequestHandler(app)
    secret = signing_secret.encode() if signing_secret else None

    def events(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            length = _content_length(environ)
            if length > max_body:
                raise Rejected("413 Content Too Large", f"body of {length} bytes is over {max_body}")
            body = environ["wsgi.input"].read(length) if length else b""
            if secret is not None:
                _check_signature(secret, environ, body)
            parsed = _check_body(environ, body)
        except Rejected as rejected:
            log.warning("rejected a request to %s: %s", EVENTS_PATH, rejected.reason)
            return _answer(start_response, rejected.status, rejected.reason)
        if intake is not None and _inbox_event(parsed):
            assert parsed is not None
            if intake(parsed):
                return _answer(start_response, "200 OK", "")
            return _answer(start_response, "503 Service Unavailable", "not stored; retry")
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        try:
            return bolt(environ, start_response)
        except Exception as exc:  # noqa: BLE001 - Bolt could not read the envelope (e.g. "team": true): 400
            # Listener errors never get here (Bolt's error handler answers them); only request parsing does.
            log.warning("rejected a request to %s: Bolt could not read it (%s)", EVENTS_PATH, type(exc).__name__)
            return _answer(start_response, "400 Bad Request", "malformed payload")

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == EVENTS_PATH:
            return events(environ, start_response)
        if install and path in (INSTALL_PATH, OAUTH_REDIRECT_PATH) and app.oauth_flow is not None:
            return bolt(environ, start_response)  # many workspaces: Bolt's "Add to Slack" page and OAuth redirect
        handler = (routes or {}).get(path)
        if handler is not None:
            return handler(environ, start_response)
        return _answer(start_response, "404 Not Found", "not found")

    return application


def create(app: App, host: str, port: int, signing_secret: str | None, routes: Routes | None = None,
           threads: int = 16, intake: Intake | None = None, install: bool = False) -> Any:
    """The waitress server (not yet running; `.run()` serves until `.close()`): production-grade, pure Python."""
    from waitress.server import create_server

    return create_server(wsgi_app(app, signing_secret, routes, intake=intake, install=install), host=host, port=port,
                         threads=threads, ident="mirage", max_request_body_size=MAX_BODY_BYTES)
