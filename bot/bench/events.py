"""`mirage bench events`: the app in HTTP mode (waitress) against a Slack Web API double on loopback, fed signed
events at a steady rate from a second process. Prints ack and event-to-reply latency, lost events, peak memory.

Three processes: this one runs the app; one runs the Slack double (it timestamps each reply as it arrives); one
sends the events. Times are CLOCK_MONOTONIC, which all processes on the machine share.
"""

from __future__ import annotations

import http.client
import multiprocessing as mp
import resource
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.bench.slack_load import SECRET, _event, _sign
from bot.bench.support import loopback
from bot.bench.support.slack_double import serve_in_child


def _sender_main(port: int, rate: int, seconds: int, claim_every: int, results: Any) -> None:
    local = threading.local()

    def connection() -> http.client.HTTPConnection:
        if getattr(local, "conn", None) is None:
            local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn: http.client.HTTPConnection = local.conn
        return conn

    def send(i: int, base_ts: int) -> tuple[str, bool, float, float, int]:
        body, ts, is_claim = _event(i, claim_every, base_ts)
        headers = _sign(body)
        started = time.monotonic()
        try:
            conn = connection()
            conn.request("POST", "/slack/events", body=body.encode(), headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            local.conn = None
            status = 0
        return ts, is_claim, started, time.monotonic() - started, status

    total = rate * seconds
    base_ts = int(time.time())
    futures = []
    with ThreadPoolExecutor(max_workers=64) as pool:
        start = time.monotonic() + 0.2
        for i in range(total):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(send, i, base_ts))
    results.put([f.result() for f in futures])


# ---- the app (this process) ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    sent: int
    claims: int
    acked: int
    replied: int
    ack_ms: tuple[float, float, float]
    reply_ms: tuple[float, float, float]
    incidents: int
    queued: int  # claims stored in the inbox but not yet processed when the drain ended (not lost)
    peak_rss_mb: float


def _percentiles(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return (float("nan"),) * 3
    ordered = sorted(values)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))] * 1000

    return at(0.5), at(0.99), ordered[-1] * 1000


def _fetch_replies(port: int) -> dict[str, float]:
    replies: dict[str, float] = loopback.get_json(port, "/__replies")["replies"]  # type: ignore[assignment]
    return replies


def run_bench(rate: int, seconds: int, claim_every: int, database_url: str | None, drain_seconds: float) -> Report:
    from sqlmodel import col, func, select
    from waitress.server import create_server

    from bot.catalog import load_catalog
    from bot.detection import Detector
    from bot.runtime.probes import probe_routes
    from bot.service.deps import Deps
    from bot.service.worker import InboxWorker
    from bot.settings import Settings
    from bot.slack.app import build_app, read_identity
    from bot.slack.client import build_client
    from bot.slack.http import wsgi_app
    from bot.slack.intake import direct_intake
    from bot.slack.processing import EventProcessor
    from bot.store.engine import make_engine, session_scope, upgrade_database
    from bot.store.models import InboxItem, Incident

    ctx = mp.get_context("spawn")
    port_q, stop = ctx.Queue(), ctx.Event()
    double = ctx.Process(target=serve_in_child, args=(port_q, stop), daemon=True)
    double.start()
    double_port = int(port_q.get(timeout=30))
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        settings = Settings(_env_file=None, slack_bot_token="xoxb-bench", slack_signing_secret=SECRET,
                            slack_api_url=f"http://127.0.0.1:{double_port}/api/", database_url=url)
        engine = make_engine(url)
        upgrade_database(engine)
        catalog = load_catalog(settings.rules_dir)
        deps = Deps(engine=engine, detector=Detector.from_catalog(catalog), catalog=catalog, settings=settings)
        client = build_client(settings)
        identity, authorization = read_identity(client)
        app = build_app(settings, deps, client=client, authorization=authorization)
        worker = InboxWorker(deps, EventProcessor(client, deps, identity), threads=settings.inbox_workers)
        worker.start()
        server = create_server(wsgi_app(app, SECRET, probe_routes(deps), intake=direct_intake(deps, identity.user_id)),
                               host="127.0.0.1", port=0, threads=16)
        app_port = int(server.effective_port)  # type: ignore[union-attr]
        serving = threading.Thread(target=server.run, daemon=True)
        serving.start()

        results_q = ctx.Queue()
        sender = ctx.Process(target=_sender_main, args=(app_port, rate, seconds, claim_every, results_q))
        sender.start()
        sent: list[tuple[str, bool, float, float, int]] = results_q.get(timeout=seconds + 120)
        sender.join(timeout=30)

        claims = {ts: started for ts, is_claim, started, _, status in sent if is_claim}
        deadline = time.monotonic() + drain_seconds
        replies = _fetch_replies(double_port)
        while len(set(replies) & set(claims)) < len(claims) and time.monotonic() < deadline:
            time.sleep(0.1)
            replies = _fetch_replies(double_port)
        with session_scope(engine) as s:
            incidents = int(s.exec(select(func.count()).select_from(Incident)).one())
            queued = int(s.exec(select(func.count()).select_from(InboxItem)
                                .where(col(InboxItem.state).in_(("pending", "working")))).one())
        server.close()
        worker.stop()
        stop.set()
        double.join(timeout=10)
        engine.dispose()
    reply_latency = [replies[ts] - started for ts, started in claims.items() if ts in replies]
    return Report(
        sent=len(sent), claims=len(claims), acked=sum(1 for *_, status in sent if status == 200),
        replied=len(reply_latency), ack_ms=_percentiles([lat for _, _, _, lat, _ in sent]),
        reply_ms=_percentiles(reply_latency), incidents=incidents, queued=queued,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )


def events(
    rate: Annotated[int, typer.Option("--rate", min=1, help="Events per second.")] = 200,
    seconds: Annotated[int, typer.Option("--seconds", min=1, help="How long to send.")] = 30,
    claim_every: Annotated[int, typer.Option("--claim-every", min=0, help="Every Nth event is a claim (0: none).")] = 4,
    database_url: Annotated[str | None, typer.Option("--database-url", help="Default: a temp SQLite file.")] = None,
    drain: Annotated[float, typer.Option("--drain", help="Seconds to wait for the last replies.")] = 15.0,
    faults: Annotated[bool, typer.Option("--faults/--no-faults",
                                         help="Also measure a database outage and a SIGKILL under load.")] = True,
    outage: Annotated[float, typer.Option("--outage", min=0.5, help="Seconds the database is down.")] = 10.0,
    web: Annotated[int, typer.Option("--web", min=0, help="Run N `mirage run --role web` processes on PostgreSQL "
                                     "(with --workers; 0: the app in this process).")] = 0,
    workers: Annotated[int, typer.Option("--workers", min=0, help="... and M `--role worker` processes.")] = 0,
    scale: Annotated[str | None, typer.Option("--scale", help="A table: k web + k worker processes for each k, "
                                              "e.g. 1,2,4 (PostgreSQL).")] = None,
) -> None:
    """Signed events at a steady rate into the app in HTTP mode; ack and reply latency, lost events, peak memory."""
    if scale or web or workers:
        _scale(scale, web, workers, rate, seconds, claim_every, drain)
        return
    r = run_bench(rate, seconds, claim_every, database_url, drain)
    lost = (r.sent - r.acked) + max(0, r.claims - r.replied - r.queued)
    typer.echo(f"events sent {r.sent} ({rate}/s for {seconds} s), claims {r.claims}, acked 200: {r.acked}, "
               f"replies {r.replied}, incidents stored {r.incidents}")
    for label, (p50, p99, top), target in (("ack latency", r.ack_ms, 50), ("event-to-reply", r.reply_ms, 250)):
        typer.echo(f"{label:16}  p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   max {top:7.1f} ms"
                   f"   (target p99 < {target} ms)")
    typer.echo(f"lost events {lost} (unacked {r.sent - r.acked}, claims neither replied nor queued "
               f"{max(0, r.claims - r.replied - r.queued)}); still queued in the inbox at the end of the drain "
               f"{r.queued} (processed later, not lost)")
    typer.echo(f"peak memory (app process RSS) {r.peak_rss_mb:.0f} MB")
    if faults:
        from bot.bench.faults import describe, run_faults

        for result in run_faults(rate, seconds, claim_every, outage):
            typer.echo(result if isinstance(result, str) else describe(result))


def _scale(scale: str | None, web: int, workers: int, rate: int, seconds: int, claim_every: int,
           drain: float) -> None:
    """The multi-process runs (bot.bench.scale), printed as a Markdown table."""
    from bot.bench.scale import HEADER, run_scale, run_table, table_row
    from bot.bench.support.pgserver import PostgresUnavailable

    try:
        counts = [int(k) for k in scale.split(",")] if scale else []
    except ValueError:
        raise typer.BadParameter("--scale takes process counts such as 1,2,4") from None
    if not counts and (web < 1 or workers < 1):
        raise typer.BadParameter("--web and --workers need at least one process each")
    try:
        reports = run_table(counts, rate, seconds, claim_every, drain) if counts else \
            [run_scale(web, workers, rate, seconds, claim_every, drain)]
    except PostgresUnavailable as exc:
        raise typer.BadParameter(f"the multi-process bench runs on PostgreSQL: {exc}") from None
    import os

    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    typer.echo(f"{rate} events/s for {seconds} s, every {claim_every}th a claim; drain {drain:.0f} s; "
               f"{os.cpu_count()} cores, load average at the end {load}")
    typer.echo(HEADER)
    typer.echo("|" + " --- |" * (HEADER.count("|") - 1))
    for r in reports:
        typer.echo(table_row(r))


def register(bench_app: typer.Typer) -> None:
    """Wire this benchmark into `mirage bench`."""
    bench_app.command("events")(events)
