"""The one local double of the Slack Web API, on 127.0.0.1 (the standard library's threading HTTP server).

The tests run it in-process (`with SlackDouble() as slack:`) and read what the app called; `mirage bench events`
runs it in a child process (`serve_in_child`) and asks it over GET /__replies when each thread got its first reply
(CLOCK_MONOTONIC, shared by all processes on the machine) and how many replies each thread got.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

BOT_USER = "UMIRAGE"
BOT_ID = "BMIRAGE"
TEAM = "T0TEAM"
REPLIES_PATH = "/__replies"
JSON_FORM_FIELDS = ("blocks", "view", "attachments")


@dataclass(frozen=True, slots=True)
class Canned:
    """A scripted answer: HTTP status, JSON body and extra headers."""

    body: dict[str, Any]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def rate_limited(retry_after: int = 1) -> Canned:
    return Canned({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(retry_after)})


def api_error(error: str) -> Canned:
    return Canned({"ok": False, "error": error})


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


@dataclass(frozen=True)
class Workspace:
    """A workspace of the double (many-workspace tests): what installing Mirage there hands out."""

    team_id: str
    name: str
    token: str
    code: str
    bot_user: str
    bot_id: str


@dataclass
class SlackDouble:
    """Records every call and answers per method; `start()` (or `with`) serves it on a free loopback port."""

    team: str = TEAM
    calls: list[Call] = field(default_factory=list)
    thread: list[dict[str, Any]] = field(default_factory=list)  # what conversations.replies answers
    scripted: dict[str, list[Canned]] = field(default_factory=dict)  # method -> responses to give first
    delays: dict[str, float] = field(default_factory=dict)  # method -> seconds to take before answering (slow Slack)
    posted: list[dict[str, Any]] = field(default_factory=list)  # messages posted, as conversations.replies shows them
    drop_posts: bool = False  # chat.postMessage answers but the message never appears (lost on the way)
    first_reply_at: dict[str, float] = field(default_factory=dict)  # thread_ts sent -> monotonic time of 1st reply
    reply_counts: dict[str, int] = field(default_factory=dict)  # thread_ts sent -> replies (more than 1: a duplicate)
    workspaces: dict[str, Workspace] = field(default_factory=dict)  # bot token -> the workspace it belongs to
    codes: dict[str, str] = field(default_factory=dict)  # OAuth code -> the bot token oauth.v2.access hands out
    revoked: set[str] = field(default_factory=set)  # tokens Slack no longer accepts (invalid_auth)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    # ---- serving ---------------------------------------------------------------------------------------------

    def start(self) -> SlackDouble:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="slack-double", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SlackDouble:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the Slack double is not started")
        return int(self._server.server_address[1])

    def url_for(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def api_url(self) -> str:
        return self.url_for("/api/")

    def response_url(self, name: str = "hook") -> str:
        return self.url_for(f"/response/{name}")

    # ---- what the tests read and script ----------------------------------------------------------------------

    def script(self, method: str, *responses: Canned) -> None:
        """Answer the next calls of `method` with `responses` (then normally again)."""
        self.scripted.setdefault(method, []).extend(responses)

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def replies_in(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """What Mirage posted in one thread."""
        with self._lock:
            return [m for m in self.posted if m["channel"] == channel and m["thread_ts"] == thread_ts]

    def add_workspace(self, team_id: str, name: str) -> Workspace:
        """A workspace that can install Mirage: its OAuth code, and the bot token and bot user it will get."""
        suffix = team_id.lower()
        workspace = Workspace(team_id=team_id, name=name, token=f"xoxb-{suffix}-token", code=f"code-{suffix}",
                              bot_user=f"UBOT{team_id}", bot_id=f"BBOT{team_id}")
        self.workspaces[workspace.token] = workspace
        self.codes[workspace.code] = workspace.token
        return workspace

    def tokens_of(self, method: str) -> list[str]:
        """The bearer token of every call of `method`, in order."""
        return [c.headers.get("Authorization", "").removeprefix("Bearer ") for c in self.of(method)]

    def methods(self, ignore: tuple[str, ...] = ("auth.test",)) -> list[str]:
        return [c.method for c in self.calls if c.method not in ignore]

    def replies_report(self) -> dict[str, Any]:
        """What GET /__replies answers: first-reply times and reply counts per thread."""
        with self._lock:
            return {"replies": dict(self.first_reply_at), "counts": dict(self.reply_counts)}

    # ---- the server side -------------------------------------------------------------------------------------

    def handle(self, path: str, body: dict[str, Any], headers: dict[str, str], arrived: float) -> Canned:
        kind, _, name = path.strip("/").partition("/")
        method = name if kind == "api" else "response_url"
        with self._lock:
            call = Call(method, body, headers)
            self.calls.append(call)
            if method == "chat.postMessage":
                thread = str(body.get("thread_ts"))
                self.first_reply_at.setdefault(thread, arrived)
                self.reply_counts[thread] = self.reply_counts.get(thread, 0) + 1
            queued = self.scripted.get(method)
            if queued:
                return queued.pop(0)
            ts = f"1800000000.{next(self._ts):06d}"
            token = headers.get("Authorization", "").removeprefix("Bearer ")
            call.answer = self.answer(method, body, ts, token)
        delay = self.delays.get(method)
        if delay:
            threading.Event().wait(delay)  # a slow Web API: done, but the client may time out before it hears so
        return Canned(call.answer)

    def answer(self, method: str, body: dict[str, Any], ts: str, token: str = "") -> dict[str, Any]:
        channel = body.get("channel")
        if token in self.revoked:
            return {"ok": False, "error": "invalid_auth"}
        workspace = self.workspaces.get(token)
        if method == "oauth.v2.access":
            granted = self.workspaces.get(self.codes.get(str(body.get("code")), ""))
            if granted is None:
                return {"ok": False, "error": "invalid_code"}
            return {"ok": True, "app_id": "A0MIRAGE", "authed_user": {"id": f"UINSTALLER{granted.team_id}"},
                    "scope": "channels:history,chat:write,commands", "token_type": "bot",
                    "access_token": granted.token, "bot_user_id": granted.bot_user,
                    "team": {"id": granted.team_id, "name": granted.name}, "enterprise": None,
                    "is_enterprise_install": False}
        if method == "auth.test" and workspace is not None:
            return {"ok": True, "user_id": workspace.bot_user, "bot_id": workspace.bot_id,
                    "team_id": workspace.team_id, "user": "mirage", "team": workspace.name,
                    "url": f"https://{workspace.team_id.lower()}.slack.com/"}
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": BOT_ID, "team_id": self.team, "user": "mirage",
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


def _handler_for(double: SlackDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, answer: Canned) -> None:
            data = json.dumps(answer.body).encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in answer.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if urlsplit(self.path).path == REPLIES_PATH:
                self._send(Canned(double.replies_report()))
            else:
                self._send(Canned({"ok": False, "error": "not_found"}, status=404))

        def do_POST(self) -> None:
            arrived = time.monotonic()
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            headers = {_title(key): value for key, value in self.headers.items()}
            url = urlsplit(self.path)
            self._send(double.handle(url.path, _decode(raw, headers.get("Content-Type", ""), url.query), headers,
                                     arrived))

    return Handler


def _title(header: str) -> str:
    return "-".join(part.capitalize() for part in header.split("-"))


def _decode(raw: str, content_type: str, query: str) -> dict[str, Any]:
    """The request body as a dict, whether the client sent JSON or a form (JSON-looking form values decoded)."""
    if "json" in content_type:
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            data = raw
        return data if isinstance(data, dict) else {"_": data}
    body: dict[str, Any] = {}
    for key, values in parse_qs(raw, keep_blank_values=True).items():
        value = values[0]
        if key in JSON_FORM_FIELDS:
            try:
                body[key] = json.loads(value)
                continue
            except ValueError:
                pass
        body[key] = value
    for key, values in parse_qs(query, keep_blank_values=True).items():
        body.setdefault(key, values[0])
    return body


def serve_in_child(port_out: Any, stop: Any, post_delay: float = 0.0, team: str = "T0BENCH") -> None:
    """A child process's main (multiprocessing): serve a double until `stop` is set; its port goes to `port_out`.
    `post_delay` makes every chat.postMessage take that long (the reply is timestamped on arrival)."""
    double = SlackDouble(team=team, delays={"chat.postMessage": post_delay} if post_delay else {})
    with double:
        port_out.put(double.port)
        stop.wait()
