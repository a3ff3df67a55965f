"""The sending side of the events benchmarks: signed Slack events (the Web API double is
bot.bench.support.slack_double)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

SECRET = "bench-signing-secret"
CLAIM = "It scored highest on MMLU, so it should be the best choice for the assistant."
CHATTER = ("lunch at noon?", "the deploy finished, thanks all", "can someone review my PR on the retriever?",
           "MMLU is a benchmark of 57 subjects, paper linked in the doc")


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


