"""`mirage bench events --web N --workers M` (and `--scale 1,2,4`): N real `mirage run --role web --http` and M
`mirage run --role worker` processes on one PostgreSQL (a throwaway server), against the Web API double, fed signed
events at a steady rate spread over the web processes.

Reported per run: events acknowledged per second (intake) and claims replied per second (the workers), ack latency
and event-to-reply latency (p50 / p99), duplicates (a thread replied to twice), lost events (acknowledged but neither
replied nor still queued), and the CPU seconds spent by the web processes, the workers and PostgreSQL, against the
machine's cores: what the limit is. Times are CLOCK_MONOTONIC, which all processes on the machine share.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.bench.faults import START_COMMAND
from bot.bench.slack_load import SECRET, _event, _sign
from bot.bench.support import loopback
from bot.bench.support.pgserver import ThrowawayPostgres, free_port
from bot.bench.support.slack_double import serve_in_child
from bot.bench.support.waiting import wait_until

TICKS = os.sysconf("SC_CLK_TCK")
Sent = tuple[str, bool, float, float, int]  # ts, is a claim, started, ack seconds, status


def _sender_main(ports: list[int], rate: int, seconds: int, claim_every: int, results: Any) -> None:
    """Event i goes to web process i mod N (a load balancer's round robin), one keep-alive connection per thread."""
    local = threading.local()

    def send(i: int, base_ts: int) -> Sent:
        body, ts, is_claim = _event(i, claim_every, base_ts)
        port = ports[i % len(ports)]
        conns: dict[int, http.client.HTTPConnection] = local.__dict__.setdefault("conns", {})
        started = time.monotonic()
        try:
            conn = conns.get(port) or conns.setdefault(port, http.client.HTTPConnection("127.0.0.1", port, timeout=30))
            conn.request("POST", "/slack/events", body=body.encode(), headers=_sign(body))
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conns.pop(port, None)
            status = 0
        return ts, is_claim, started, time.monotonic() - started, status

    base_ts = int(time.time())
    futures = []
    with ThreadPoolExecutor(max_workers=64) as pool:
        start = time.monotonic() + 0.2
        for i in range(rate * seconds):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # the send schedule itself, not synchronisation
            futures.append(pool.submit(send, i, base_ts))
    results.put([f.result() for f in futures])


def _get(port: int, path: str) -> tuple[int, bytes]:
    return loopback.request(port, "GET", path)




def _cpu_seconds(pid: int) -> float:
    """utime + stime of one process (all its threads), from /proc; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def _postgres_pids(postmaster: int) -> list[int]:
    found = [postmaster]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


@dataclass(frozen=True)
class ScaleReport:
    web: int
    workers: int
    rate: int
    sent: int
    claims: int
    acked: int
    replied: int
    duplicates: int
    queued: int
    intake_per_s: float
    replies_per_s: float
    ack_ms: tuple[float, float]
    reply_ms: tuple[float, float]
    cpu_web: float
    cpu_workers: float
    cpu_postgres: float
    wall: float

    @property
    def lost(self) -> int:
        return (self.sent - self.acked) + max(0, self.claims - self.replied - self.queued)


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


class _Processes:
    """The web and worker subprocesses of one run (their output goes to one log file)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = {**os.environ, **env, "HTTP_HOST": "127.0.0.1", "SLACK_APP_TOKEN": ""}
        self.log = log
        self.web: list[tuple[subprocess.Popen[bytes], int]] = []
        self.workers: list[tuple[subprocess.Popen[bytes], int]] = []

    def start(self, role: str) -> None:
        port = free_port()
        args = ["run", "--role", role] + (["--http", "--port", str(port)] if role == "web" else [])
        env = self.env if role == "web" else {**self.env, "HEALTH_PORT": str(port)}
        with self.log.open("ab") as out:
            proc = subprocess.Popen([sys.executable, "-c", START_COMMAND, *args], env=env, stdout=out, stderr=out)
        (self.web if role == "web" else self.workers).append((proc, port))

    def wait_ready(self, timeout: float = 120) -> None:
        every = self.web + self.workers
        if not wait_until(lambda: all(_get(port, "/healthz")[0] == 200 or p.poll() is not None for p, port in every),
                     timeout) or any(p.poll() is not None for p, _ in every):
            raise RuntimeError(f"a mirage process did not start; see {self.log}")

    def cpu(self) -> tuple[float, float]:
        return (sum(_cpu_seconds(p.pid) for p, _ in self.web), sum(_cpu_seconds(p.pid) for p, _ in self.workers))

    def stop(self) -> None:
        for proc, _ in self.web + self.workers:
            if proc.poll() is None:
                proc.terminate()
        for proc, _ in self.web + self.workers:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def run_scale(web: int, workers: int, rate: int, seconds: int, claim_every: int = 4, drain: float = 30.0,
              server: ThrowawayPostgres | None = None) -> ScaleReport:
    """One run: `web` web processes, `workers` worker processes, a fresh database on `server` (a throwaway
    PostgreSQL of its own when None)."""
    from sqlalchemy import text

    from bot.store.engine import make_engine, upgrade_database

    own = server is None
    pg = server or ThrowawayPostgres().start()
    ctx = mp.get_context("spawn")
    port_q, stop = ctx.Queue(), ctx.Event()
    double = ctx.Process(target=serve_in_child, args=(port_q, stop), daemon=True)
    double.start()
    procs: _Processes | None = None
    try:
        double_port = int(port_q.get(timeout=30))
        url = pg.create_database(f"mirage_scale_{web}_{workers}_{os.getpid()}_{int(time.time() * 1000)}")
        engine = make_engine(url)
        upgrade_database(engine)
        env = {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET, "DATABASE_URL": url,
               "SLACK_API_URL": f"http://127.0.0.1:{double_port}/api/", "DIGEST_CHANNELS": "", "LOG_LEVEL": "WARNING"}
        procs = _Processes(env, Path(tempfile.gettempdir()) / f"mirage-scale-{os.getpid()}.log")
        for _ in range(web):
            procs.start("web")
        for _ in range(workers):
            procs.start("worker")
        procs.wait_ready()
        postmaster = int((pg.data / "postmaster.pid").read_text().split()[0])
        cpu_before = procs.cpu()
        pg_before = {pid: _cpu_seconds(pid) for pid in _postgres_pids(postmaster)}

        results_q = ctx.Queue()
        sender = ctx.Process(target=_sender_main,
                             args=([port for _, port in procs.web], rate, seconds, claim_every, results_q))
        sender.start()
        sent: list[Sent] = results_q.get(timeout=seconds + 180)
        sender.join(timeout=30)
        claims = {ts: started for ts, is_claim, started, _, status in sent if is_claim and status == 200}

        def replies() -> dict[str, Any]:
            data: dict[str, Any] = json.loads(_get(double_port, "/__replies")[1] or b"{}")
            return data

        wait_until(lambda: len(set(replies().get("replies", {})) & set(claims)) >= len(claims), drain)
        answer = replies()
        cpu_web, cpu_workers = (after - before for after, before in zip(procs.cpu(), cpu_before, strict=True))
        cpu_pg = sum(_cpu_seconds(pid) - pg_before.get(pid, 0.0) for pid in _postgres_pids(postmaster))
        with engine.connect() as c:
            queued = int(c.execute(text("SELECT count(*) FROM inbox WHERE state IN ('pending', 'working') "
                                        "AND kind = 'message'")).scalar_one())
        engine.dispose()
    finally:
        if procs is not None:
            procs.stop()
        stop.set()
        double.join(timeout=10)
        if own:
            pg.cleanup()
    got: dict[str, float] = answer.get("replies", {})
    counts: dict[str, int] = answer.get("counts", {})
    reply_latency = [got[ts] - started for ts, started in claims.items() if ts in got]
    acks = [(started, started + lat) for _, _, started, lat, status in sent if status == 200]
    first = min((started for _, _, started, _, _ in sent), default=0.0)
    last_ack = max((done for _, done in acks), default=first)
    last_reply = max((got[ts] for ts in claims if ts in got), default=first)
    return ScaleReport(
        web=web, workers=workers, rate=rate, sent=len(sent), claims=len(claims), acked=len(acks),
        replied=len(reply_latency), duplicates=sum(max(0, n - 1) for ts, n in counts.items() if ts in claims),
        queued=queued, intake_per_s=len(acks) / max(last_ack - first, 1e-9),
        replies_per_s=len(reply_latency) / max(last_reply - first, 1e-9),
        ack_ms=(_p([lat for *_, lat, status in sent if status == 200], 0.5),
                _p([lat for *_, lat, status in sent if status == 200], 0.99)),
        reply_ms=(_p(reply_latency, 0.5), _p(reply_latency, 0.99)),
        cpu_web=cpu_web, cpu_workers=cpu_workers, cpu_postgres=cpu_pg, wall=max(last_ack, last_reply) - first,
    )


def run_table(counts: Sequence[int], rate: int, seconds: int, claim_every: int, drain: float) -> list[ScaleReport]:
    """`k` web and `k` worker processes for each k in `counts`, on one throwaway PostgreSQL (a fresh database each)."""
    server = ThrowawayPostgres().start()
    try:
        return [run_scale(k, k, rate, seconds, claim_every, drain, server=server) for k in counts]
    finally:
        server.cleanup()


HEADER = ("| web + worker processes | events/s offered | acked/s | replies/s | ack p50 / p99 "
          "| event-to-reply p50 / p99 | lost / duplicates | CPU s: web / workers / PostgreSQL (of wall x cores) |")


def table_row(r: ScaleReport) -> str:
    cores = os.cpu_count() or 1
    return (f"| {r.web} + {r.workers} | {r.rate} | {r.intake_per_s:.0f} | {r.replies_per_s:.0f} "
            f"| {r.ack_ms[0]:.1f} / {r.ack_ms[1]:.0f} ms | {r.reply_ms[0]:.0f} / {r.reply_ms[1]:.0f} ms "
            f"| {r.lost} / {r.duplicates} | {r.cpu_web:.0f} / {r.cpu_workers:.0f} / {r.cpu_postgres:.0f} "
            f"(of {r.wall:.0f} x {cores}) |")
