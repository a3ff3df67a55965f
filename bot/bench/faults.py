"""What faults cost under load (`mirage bench events` prints these after the steady-state numbers).

The real `mirage run --http` runs as a subprocess against the Web API double of
`bot.bench.support.slack_double`, fed signed events at a steady rate. Two faults:

- **database outage**: PostgreSQL (a throwaway server) is stopped for `outage` seconds mid-stream, then started;
- **SIGKILL**: the bot (SQLite) is killed with SIGKILL mid-stream and started again at once.

The sender behaves like Slack: an event that gets no 2xx is delivered again later (Slack retries after about a
minute, then five; here the retries come as soon as the stream ends, one round a second, at most five rounds).
Reported: events sent, acknowledged on the first try, refused (and retried), stored, replies, duplicate replies,
and lost = acknowledged but never stored, or an acknowledged claim without a reply.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.bench.slack_load import SECRET, _event, _sign
from bot.bench.support import loopback
from bot.bench.support.pgserver import PostgresUnavailable, ThrowawayPostgres, free_port
from bot.bench.support.slack_double import serve_in_child
from bot.bench.support.waiting import wait_until

RETRY_ROUNDS = 5
START_COMMAND = "import sys; from bot.cli.main import main; sys.argv[0] = 'mirage'; main()"


@dataclass(frozen=True)
class FaultReport:
    fault: str
    sent: int
    claims: int
    acked_first_try: int
    refused: int
    acked: int
    stored: int
    replies: int
    duplicates: int
    lost: int
    down_seconds: float




class _Bot:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = {**os.environ, **env, "HTTP_HOST": "127.0.0.1", "SLACK_APP_TOKEN": ""}
        self.log = log
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-c", START_COMMAND, "run", "--http", "--port",
                                          str(self.port)], env=self.env, stdout=out, stderr=out)
        if not wait_until(lambda: self.health() == 200, 60, pause=0.05):
            raise RuntimeError(f"mirage run --http did not start; see {self.log}")

    def health(self) -> int:
        return loopback.request(self.port, "GET", "/readyz", timeout=2)[0]

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


class _Sender:
    def __init__(self, bot: _Bot) -> None:
        self.bot = bot
        self.pool = ThreadPoolExecutor(max_workers=64)
        self.statuses: dict[int, list[int]] = {}
        self.lock = threading.Lock()

    def _post(self, i: int, body: str, retry: int) -> None:
        headers = _sign(body)
        if retry:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_error"}
        status = loopback.request(self.bot.port, "POST", "/slack/events", body.encode(), headers)[0]
        with self.lock:
            self.statuses.setdefault(i, []).append(status)

    def stream(self, bodies: list[str], rate: int, at: dict[int, Any]) -> None:
        """Send `bodies` at `rate` per second; call at[i]() (in a thread) when event i is due."""
        futures: list[Future[None]] = []
        start = time.monotonic() + 0.2
        for i, body in enumerate(bodies):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # the send schedule itself, not synchronisation
            if i in at:
                threading.Thread(target=at[i], daemon=True).start()
            futures.append(self.pool.submit(self._post, i, body, 0))
        for future in futures:
            future.result()

    def retry(self, bodies: list[str]) -> None:
        for _ in range(RETRY_ROUNDS):
            with self.lock:
                waiting = [i for i, s in self.statuses.items() if 200 not in s]
            if not waiting:
                return
            for future in [self.pool.submit(self._post, i, bodies[i], len(self.statuses[i])) for i in waiting]:
                future.result()
            threading.Event().wait(1.0)


def _replies(port: int) -> dict[str, int]:
    counts: dict[str, int] = loopback.get_json(port, "/__replies")["counts"]  # type: ignore[assignment]
    return counts


def _store_counts(url: str) -> tuple[set[str], dict[str, int]]:
    from sqlalchemy import text

    from bot.store.engine import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as c:
            ids = set(c.execute(text("SELECT event_id FROM inbox")).scalars())
            states = {s: int(n) for s, n in c.execute(text("SELECT state, count(*) FROM inbox GROUP BY state"))}
        return ids, states
    finally:
        engine.dispose()


def _run(fault: str, rate: int, seconds: int, claim_every: int, outage: float, work: Path) -> FaultReport:
    ctx = mp.get_context("spawn")
    port_q, stop = ctx.Queue(), ctx.Event()
    double = ctx.Process(target=serve_in_child, args=(port_q, stop), daemon=True)
    double.start()
    double_port = int(port_q.get(timeout=30))
    pg: ThrowawayPostgres | None = None
    bot: _Bot | None = None
    try:
        if fault == "outage":
            pg = ThrowawayPostgres().start()
            url = pg.create_database("mirage_bench_faults")
        else:
            url = f"sqlite:///{work / 'faults.db'}"
        env = {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET, "DATABASE_URL": url,
               "SLACK_API_URL": f"http://127.0.0.1:{double_port}/api/", "LOG_LEVEL": "WARNING"}
        bot = _Bot(env, work / f"{fault}.log")
        bot.start()
        base = int(time.time())
        events = [_event(i, claim_every, base) for i in range(rate * seconds)]
        bodies = [body for body, _, _ in events]
        claims = {i: ts for i, (_, ts, is_claim) in enumerate(events) if is_claim}
        down = {"from": 0.0, "to": 0.0}
        running = bot

        def outage_now() -> None:
            assert pg is not None
            down["from"] = time.monotonic()
            pg.stop()
            threading.Event().wait(outage)  # the outage lasts this long (the fault itself, not a wait for work)
            pg.start()
            down["to"] = time.monotonic()

        def kill_now() -> None:
            down["from"] = time.monotonic()
            running.kill()
            running.start()
            down["to"] = time.monotonic()

        sender = _Sender(bot)
        sender.stream(bodies, rate, {len(bodies) // 3: outage_now if fault == "outage" else kill_now})
        wait_until(lambda: down["to"] > 0, 120, pause=0.05)
        sender.retry(bodies)
        acked = {i for i, s in sender.statuses.items() if 200 in s}
        wait_until(lambda: set(_store_counts(url)[1]) <= {"done", "failed"}, 120)
        stored_ids, _ = _store_counts(url)
        stored = {i for i in range(len(bodies)) if f"EvBENCH{i:08d}" in stored_ids}
        counts = _replies(double_port)
        replies = sum(1 for ts in claims.values() if counts.get(ts, 0) >= 1)
        duplicates = sum(max(0, counts.get(ts, 0) - 1) for ts in claims.values())
        lost = len(acked - stored) + sum(1 for i, ts in claims.items() if i in acked and counts.get(ts, 0) == 0)
        first = sum(1 for s in sender.statuses.values() if s and s[0] == 200)
        return FaultReport(fault=fault, sent=len(bodies), claims=len(claims), acked_first_try=first,
                           refused=len(bodies) - first, acked=len(acked), stored=len(stored), replies=replies,
                           duplicates=duplicates, lost=lost, down_seconds=down["to"] - down["from"])
    finally:
        if bot is not None:
            bot.kill()
        if pg is not None:
            pg.cleanup()
        stop.set()
        double.join(timeout=10)


def run_faults(rate: int, seconds: int, claim_every: int, outage: float) -> list[FaultReport | str]:
    """Both faults; a fault that cannot run here (no PostgreSQL binaries) is reported as a reason instead."""
    results: list[FaultReport | str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for fault in ("outage", "sigkill"):
            try:
                results.append(_run(fault, rate, seconds, claim_every, outage, Path(tmp)))
            except PostgresUnavailable as exc:
                results.append(f"{fault}: not measured ({exc})")
    return results


def describe(report: FaultReport) -> str:
    what = (f"{report.down_seconds:.1f} s PostgreSQL outage" if report.fault == "outage"
            else f"SIGKILL and restart ({report.down_seconds:.1f} s down)")
    return (f"{what}: sent {report.sent} ({report.claims} claims), acked first try {report.acked_first_try}, "
            f"refused and retried {report.refused}, acked in the end {report.acked}, stored {report.stored}, "
            f"replies {report.replies}, duplicate replies {report.duplicates}, lost {report.lost}")
