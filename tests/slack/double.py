"""A local double of the Slack Web API on 127.0.0.1 (pytest-httpserver): records every call, answers per method."""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

BOT_USER = "UMIRAGE"
BOT_ID = "BMIRAGE"
TEAM = "T0TEAM"


@dataclass
class Call:
    """One request the app made: the Web API method (or 'response_url'), its decoded body and headers."""

    method: str
    body: dict[str, Any]
    headers: dict[str, str]
    answer: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when it arrived

    @property
    def raw(self) -> str:
        return json.dumps(self.body, sort_keys=True)


@dataclass
class SlackDouble:
    server: HTTPServer
    calls: list[Call] = field(default_factory=list)
    thread: list[dict[str, Any]] = field(default_factory=list)  # what conversations.replies answers
    scripted: dict[str, list[Response]] = field(default_factory=dict)  # method -> responses to give first
    delays: dict[str, float] = field(default_factory=dict)  # method -> seconds to take before answering (slow Slack)
    posted: list[dict[str, Any]] = field(default_factory=list)  # messages posted, as conversations.replies shows them
    drop_posts: bool = False  # chat.postMessage answers but the message never appears (lost on the way)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def api_url(self) -> str:
        return self.server.url_for("/api/")

    def response_url(self, name: str = "hook") -> str:
        return self.server.url_for(f"/response/{name}")

    def script(self, method: str, *responses: Response) -> None:
        """Answer the next calls of `method` with `responses` (then normally again)."""
        self.scripted.setdefault(method, []).extend(responses)

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def replies_in(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """What Mirage posted in one thread."""
        with self._lock:
            return [m for m in self.posted if m["channel"] == channel and m["thread_ts"] == thread_ts]

    def methods(self, ignore: tuple[str, ...] = ("auth.test",)) -> list[str]:
        return [c.method for c in self.calls if c.method not in ignore]

    # ---- the server side -------------------------------------------------------------------------------------

    def install(self) -> None:
        self.server.expect_request(re.compile(r"^/(api|response)/.*")).respond_with_handler(self.handle)

    def handle(self, request: Request) -> Response:
        kind, _, name = request.path.strip("/").partition("/")
        method = name if kind == "api" else "response_url"
        body = _decode(request)
        with self._lock:
            call = Call(method, body, dict(request.headers))
            self.calls.append(call)
            queued = self.scripted.get(method)
            if queued:
                return queued.pop(0)
            ts = f"1800000000.{next(self._ts):06d}"
        with self._lock:
            call.answer = self.answer(method, body, ts)
        delay = self.delays.get(method)
        if delay:
            threading.Event().wait(delay)  # a slow Web API: done, but the client may time out before it hears so
        return _json(call.answer)

    def answer(self, method: str, body: dict[str, Any], ts: str) -> dict[str, Any]:
        channel = body.get("channel")
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": BOT_ID, "team_id": TEAM, "user": "mirage",
                    "team": "Test", "url": "https://test.slack.com/"}
        if method == "chat.postMessage":
            if not self.drop_posts:
                self.posted.append({"type": "message", "channel": channel, "ts": ts, "user": BOT_USER,
                                    "bot_id": BOT_ID, "thread_ts": body.get("thread_ts") or ts,
                                    "text": body.get("text"), "blocks": body.get("blocks") or [],
                                    "metadata": body.get("metadata")})
            return {"ok": True, "channel": channel, "ts": ts, "message": {"text": body.get("text"), "ts": ts}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method in ("chat.update", "chat.delete"):
            return {"ok": True, "channel": channel, "ts": body.get("ts")}
        if method == "conversations.info":
            return {"ok": True, "channel": {"id": channel, "name": f"name-of-{str(channel).lower()}"}}
        if method == "conversations.replies":
            mine = [m for m in self.posted if m["channel"] == channel and m["thread_ts"] == body.get("ts")]
            return {"ok": True, "messages": [*self.thread, *mine], "has_more": False}
        if method == "chat.getPermalink":
            stamp = str(body.get("message_ts")).replace(".", "")
            return {"ok": True, "channel": channel, "permalink": f"https://test.slack.com/archives/{channel}/p{stamp}"}
        if method == "apps.connections.open":  # Socket Mode: a WebSocket URL where nothing listens
            return {"ok": True, "url": "ws://127.0.0.1:9/link"}
        if method in ("reactions.add", "views.publish", "response_url"):
            return {"ok": True}
        return {"ok": False, "error": "unknown_method"}


def _json(payload: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(payload), status=status, headers=headers, content_type="application/json")


def rate_limited(retry_after: int = 1) -> Response:
    return _json({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(retry_after)})


def api_error(error: str) -> Response:
    return _json({"ok": False, "error": error})


def _decode(request: Request) -> dict[str, Any]:
    """The request body as a dict, whether the client sent JSON or a form (JSON-looking form values decoded)."""
    if request.is_json:
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else {"_": data}
    body: dict[str, Any] = {}
    for key, value in request.form.items():
        if key in ("blocks", "view", "attachments"):
            try:
                body[key] = json.loads(value)
                continue
            except ValueError:
                pass
        body[key] = value
    for key, value in request.args.items():
        body.setdefault(key, value)
    return body
