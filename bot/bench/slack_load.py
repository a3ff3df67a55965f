"""The Slack side of the events benchmarks: a Web API double run in a child process, and signed events."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

SECRET = "bench-signing-secret"
CLAIM = "It scored highest on MMLU, so it should be the best choice for the assistant."
CHATTER = ("lunch at noon?", "the deploy finished, thanks all", "can someone review my PR on the retriever?",
           "MMLU is a benchmark of 57 subjects, paper linked in the doc")


# ---- the Slack double (its own process) ---------------------------------------------------------------------------


def _double_main(port_out: Any, stop: Any, post_delay: float = 0.0) -> None:
    replies: dict[str, float] = {}
    counts: dict[str, int] = {}  # thread -> replies posted there (more than one is a duplicate)
    threads: dict[tuple[str, str], list[dict[str, Any]]] = {}  # what conversations.replies shows
    lock = threading.Lock()
    counter = iter(range(1, 10**9))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            with lock:
                self._send({"replies": dict(replies), "counts": dict(counts)})

        def do_POST(self) -> None:
            arrived = time.monotonic()
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            body: dict[str, Any]
            if "json" in (self.headers.get("Content-Type") or ""):
                body = json.loads(raw or "{}")
            else:
                body = {k: v[0] for k, v in parse_qs(raw).items()}
            method = self.path.rsplit("/", 1)[-1]
            if method == "auth.test":
                self._send({"ok": True, "user_id": "UMIRAGE", "bot_id": "BMIRAGE", "team_id": "T0BENCH"})
            elif method == "chat.postMessage":
                thread = str(body.get("thread_ts"))
                with lock:
                    replies.setdefault(thread, arrived)
                    counts[thread] = counts.get(thread, 0) + 1
                    ts = f"1900000000.{next(counter):06d}"
                    threads.setdefault((str(body.get("channel")), thread), []).append(
                        {"ts": ts, "user": "UMIRAGE", "bot_id": "BMIRAGE", "metadata": body.get("metadata")})
                if post_delay:
                    threading.Event().wait(post_delay)
                self._send({"ok": True, "channel": body.get("channel"), "ts": ts})
            elif method == "chat.getPermalink":
                self._send({"ok": True, "permalink": "https://bench.slack.com/archives/x/p1"})
            elif method == "conversations.replies":
                with lock:
                    found = list(threads.get((str(body.get("channel")), str(body.get("ts"))), []))
                self._send({"ok": True, "messages": found})
            else:
                self._send({"ok": True})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_out.put(server.server_address[1])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop.wait()
    server.shutdown()


# ---- the sender (its own process) ---------------------------------------------------------------------------------


def _sign(body: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}", "Content-Type": "application/json"}


def _event(i: int, claim_every: int, base_ts: int) -> tuple[str, str, bool]:
    is_claim = claim_every > 0 and i % claim_every == 0
    ts = f"{base_ts + i // 1000}.{i % 1000:06d}"
    # one channel and author per claim, so cooldowns and caps never hide a reply the benchmark waits for
    event = {"type": "message", "channel": f"C{i:07d}" if is_claim else "C0CHATTER", "user": f"U{i:07d}",
             "text": CLAIM if is_claim else CHATTER[i % len(CHATTER)], "ts": ts, "channel_type": "channel"}
    body = json.dumps({"type": "event_callback", "team_id": "T0BENCH", "api_app_id": "A0BENCH",
                       "event_id": f"EvBENCH{i:08d}", "event_time": int(time.time()), "event": event})
    return body, ts, is_claim


