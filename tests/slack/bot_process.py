"""The real `mirage run --http` in a subprocess, and a sender that behaves like Slack (signed events, retries on
anything but 2xx), for the fault suite. Waiting is always on a condition with a deadline, never a bare sleep."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bot.bench.support import loopback
from bot.bench.support.pgserver import free_port

from .signing import SECRET, sign

MIRAGE = Path(sys.executable).parent / "mirage"


def wait_for(condition: Callable[[], bool], timeout: float, what: str, every: float = 0.05) -> None:
    """Poll `condition` until it holds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        pause.wait(every)


@dataclass
class BotProcess:
    """`mirage run --role ROLE --http` on a free port with the given environment; its log goes to `log_path`.
    Without `http` (Socket Mode, the worker and scheduler roles) `port` is the side probe port (HEALTH_PORT)."""

    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    role: str = "all"
    http: bool = True

    def start(self, timeout: float = 60.0) -> BotProcess:
        return self.launch().wait_live(timeout)

    def launch(self) -> BotProcess:
        """Start the process without waiting for it (see `wait_live`)."""
        env = {**os.environ, "SLACK_APP_TOKEN": "", **self.env, "HTTP_HOST": "127.0.0.1"}
        args = [str(MIRAGE), "run", "--role", self.role]
        if self.http:
            args += ["--http", "--port", str(self.port)]
        else:
            env["HEALTH_PORT"] = str(self.port)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(args, env=env, stdout=log, stderr=log, cwd=self.log_path.parent)
        return self

    def wait_live(self, timeout: float = 60.0) -> BotProcess:
        """Wait until the process serves /healthz; fail with its log if it exited instead."""
        wait_for(lambda: self.get("/healthz")[0] == 200 or self._exited(), timeout, f"mirage run --role {self.role}")
        assert not self._exited(), f"mirage exited at start:\n{self.log_path.read_text()[-3000:]}"
        return self

    def get(self, path: str) -> tuple[int, str]:
        """(status, body) of GET `path` on this process's port (0 when nothing answers)."""
        status, body = loopback.request(self.port, "GET", path, timeout=5)
        return status, body.decode()

    def _exited(self) -> bool:
        return self.proc is not None and self.proc.poll() is not None

    def health(self) -> int:
        """The readiness status (/readyz)."""
        return self.get("/readyz")[0]

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self, timeout: float) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@dataclass
class Sent:
    key: str
    body: str
    content_type: str
    statuses: list[int] = field(default_factory=list)
    ack_seconds: list[float] = field(default_factory=list)

    @property
    def acked(self) -> bool:
        return 200 in self.statuses


class SlackSender:
    """Posts signed requests to a bot process like Slack does: a request that gets no 2xx is retried (with
    X-Slack-Retry-Num) by `retry_unacked`."""

    def __init__(self, port: Callable[[], int], threads: int = 16) -> None:
        self.port = port
        self.pool = ThreadPoolExecutor(max_workers=threads)
        self.sent: dict[str, Sent] = {}
        self._lock = threading.Lock()

    def _post(self, item: Sent, retry: int) -> int:
        headers = {"Content-Type": item.content_type, **sign(item.body)}
        if retry:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_error"}
        started = time.monotonic()
        status = loopback.request(self.port(), "POST", "/slack/events", item.body.encode(), headers)[0]
        with self._lock:
            item.statuses.append(status)
            item.ack_seconds.append(time.monotonic() - started)
        return status

    def submit(self, key: str, body: str, content_type: str = "application/json") -> Any:
        item = Sent(key, body, content_type)
        with self._lock:
            self.sent[key] = item
        return self.pool.submit(self._post, item, 0)

    def retry_unacked(self) -> list[int]:
        """One retry round for everything not yet acknowledged; the statuses it got."""
        with self._lock:
            waiting = [s for s in self.sent.values() if not s.acked]
        futures = [self.pool.submit(self._post, s, len(s.statuses)) for s in waiting]
        return [f.result() for f in futures]

    def acked(self) -> list[Sent]:
        with self._lock:
            return [s for s in self.sent.values() if s.acked]

    def close(self) -> None:
        self.pool.shutdown(wait=True)


CLAIM = "It scored highest on MMLU, so it should be the best choice for the assistant."
CHATTER = ("lunch at noon?", "the deploy finished, thanks all", "can someone review my PR on the retriever?")


def message_event(i: int, claim: bool, base: int) -> tuple[str, str, str, str]:
    """(key, body, channel, ts) of a signed-able message envelope; each claim in its own channel (no cooldown)."""
    ts = f"{base + i // 1000}.{i % 1000:06d}"
    channel = f"C{i:07d}" if claim else "C0CHATTER"
    event = {"type": "message", "channel": channel, "user": f"U{i:07d}", "text": CLAIM if claim else
             CHATTER[i % len(CHATTER)], "ts": ts, "channel_type": "channel"}
    body = json.dumps({"type": "event_callback", "team_id": "T0TEAM", "api_app_id": "A0MIRAGE",
                       "event_id": f"EvFAULT{i:08d}", "event_time": int(time.time()), "event": event})
    return f"EvFAULT{i:08d}", body, channel, ts


def command_form(text: str, response_url: str, user: str) -> str:
    return urlencode({"token": "legacy", "team_id": "T0TEAM", "team_domain": "t", "channel_id": "C0CMD",
                      "channel_name": "cmd", "user_id": user, "user_name": "u", "command": "/mirage", "text": text,
                      "api_app_id": "A0MIRAGE", "response_url": response_url, "trigger_id": "1.2.3"})


def bot_env(api_url: str, database_url: str, **extra: str) -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": "xoxb-fault", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": api_url,
            "DATABASE_URL": database_url, "LOG_LEVEL": "INFO", "DIGEST_CHANNELS": "", **extra}
