"""`mirage run --role web|worker|scheduler|all` as real processes on a real PostgreSQL, against the Web API double:
the web role stores and acknowledges only, workers share the inbox without replying twice, two schedulers post one
digest, and every role answers /healthz (liveness) and /readyz (readiness) on its events port or its side port."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from bot.bench.support.pgserver import ThrowawayPostgres
from bot.bench.support.slack_double import TEAM, SlackDouble
from bot.cli.main import app as mirage
from bot.store.engine import make_engine

from ..pg import PgServer
from .bot_process import BotProcess, SlackSender, bot_env, message_event, wait_for

pytestmark = pytest.mark.postgres


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            return [tuple(row) for row in c.execute(text(sql))]
    finally:
        engine.dispose()


def inbox_states(url: str) -> dict[str, int]:
    return {str(state): int(str(n)) for state, n in query(url, "SELECT state, count(*) FROM inbox GROUP BY state")}


@pytest.fixture
def procs() -> Iterator[list[BotProcess]]:
    started: list[BotProcess] = []
    yield started
    for proc in started:
        proc.stop()


@pytest.fixture
def pg_url(pg: PgServer) -> str:
    return pg.fresh_url()[1]


def start(procs: list[BotProcess], env: dict[str, str], log: Path, role: str, http: bool = False) -> BotProcess:
    proc = BotProcess(env, log, role=role, http=http).start()
    procs.append(proc)
    return proc


def send_claims(sender: SlackSender, count: int, first: int = 0) -> dict[str, tuple[str, str]]:
    """`count` claims (each in its own channel) and as many chatter lines; all must be acknowledged."""
    base = int(time.time())
    claims: dict[str, tuple[str, str]] = {}
    futures = []
    for i in range(first, first + 2 * count):
        key, body, channel, ts = message_event(i, i % 2 == 0, base)
        if i % 2 == 0:
            claims[key] = (channel, ts)
        futures.append(sender.submit(key, body))
    assert [f.result() for f in futures] == [200] * len(futures)
    return claims


def test_web_role_stores_and_acks_while_no_worker_runs_and_a_worker_started_later_replies(
        slack: SlackDouble, pg_url: str, tmp_path: Path, procs: list[BotProcess]) -> None:
    """`--role web` acknowledges every event and stores the claims as pending without posting anything; a
    `--role worker` started afterwards works the inbox off, posts exactly one reply per claim and counts each claim
    on its side port's /metrics."""
    env = bot_env(slack.api_url, pg_url, INBOX_WORKERS="2")
    web = start(procs, env, tmp_path / "web.log", "web", http=True)
    sender = SlackSender(lambda: web.port)
    claims = send_claims(sender, 10)
    assert inbox_states(pg_url).get("pending") == len(claims)
    assert slack.of("chat.postMessage") == []
    assert web.get("/healthz") == (200, "ok\n")
    assert web.get("/readyz") == (200, "ready\n")
    worker = start(procs, env, tmp_path / "worker.log", "worker")
    assert worker.get("/healthz")[0] == 200
    wait_for(lambda: set(inbox_states(pg_url)) == {"done"}, 60, "the worker to work off the inbox")
    assert [len(slack.replies_in(*where)) for where in claims.values()] == [1] * len(claims)
    status, exposition = worker.get("/metrics")  # the worker's side port serves its metrics too
    claimed = [line for line in exposition.splitlines() if line.startswith("mirage_claims_total{")]
    assert status == 200 and sum(float(line.rsplit(" ", 1)[1]) for line in claimed) == len(claims)
    sender.close()


def test_two_workers_share_the_inbox_and_never_reply_twice(slack: SlackDouble, pg_url: str, tmp_path: Path,
                                                          procs: list[BotProcess]) -> None:
    """Two `--role worker` processes on one database both claim rows (SKIP LOCKED) and every claim gets exactly
    one reply."""
    slack.delays["chat.postMessage"] = 0.1  # slow enough that both workers have rows in hand at once
    env = bot_env(slack.api_url, pg_url, INBOX_WORKERS="2")
    web = start(procs, env, tmp_path / "web.log", "web", http=True)
    sender = SlackSender(lambda: web.port)
    claims = send_claims(sender, 60)
    workers = [BotProcess(env, tmp_path / f"worker{n}.log", role="worker", http=False).launch() for n in range(2)]
    procs.extend(workers)  # launched together, so that both are running before the backlog is gone
    for worker in workers:
        worker.wait_live()
    wait_for(lambda: set(inbox_states(pg_url)) == {"done"}, 90, "two workers to work off the inbox")
    replies = {key: len(slack.replies_in(*where)) for key, where in claims.items()}
    assert all(n == 1 for n in replies.values()), {k: n for k, n in replies.items() if n != 1}
    claimers = query(pg_url, "SELECT DISTINCT split_part(claimed_by, ':', 2) FROM inbox WHERE claimed_by IS NOT NULL")
    assert len(claimers) == 2, "both worker processes should have claimed rows"
    assert query(pg_url, "SELECT count(*) FROM incidents") == [(len(claims),)]
    sender.close()


def test_two_schedulers_post_one_digest(slack: SlackDouble, pg_url: str, tmp_path: Path,
                                        procs: list[BotProcess]) -> None:
    """Two `--role scheduler` processes both run the digest catch-up at start; the channel-week is claimed in the
    database first, so exactly one digest is posted."""
    slack.delays["chat.postMessage"] = 0.5  # the first poster is still posting while the second one tries
    env = bot_env(slack.api_url, pg_url, DIGEST_CHANNELS=f"{TEAM}:C0DIGEST", DIGEST_GRACE_HOURS="200")
    logs = [tmp_path / f"scheduler{n}.log" for n in range(2)]
    schedulers = [BotProcess(env, log, role="scheduler", http=False).launch() for log in logs]
    procs.extend(schedulers)
    for scheduler in schedulers:
        scheduler.wait_live()
    wait_for(lambda: all("digest run finished" in log.read_text() for log in logs), 60, "both digest runs")
    posts = [c for c in slack.of("chat.postMessage") if c.body.get("channel") == "C0DIGEST"]
    assert len(posts) == 1
    assert query(pg_url, "SELECT channel_id, status FROM digest_runs") == [("C0DIGEST", "posted")]
    assert sorted("digest run finished: 1 posted" in log.read_text() for log in logs) == [False, True]


def test_readyz_is_503_while_the_database_is_down_and_healthz_stays_200(slack: SlackDouble, tmp_path: Path,
                                                                        procs: list[BotProcess]) -> None:
    """PostgreSQL stopped: /readyz answers 503 naming the database, on the web role's events port and on the
    worker's side port, while /healthz (liveness, no database) stays 200; both are ready again once it is back."""
    server = ThrowawayPostgres().start()
    try:
        url = server.create_database("mirage_roles")
        env = bot_env(slack.api_url, url)
        web = start(procs, env, tmp_path / "web.log", "web", http=True)
        worker = start(procs, env, tmp_path / "worker.log", "worker")
        server.stop()
        for proc in (web, worker):
            status, body = proc.get("/readyz")
            assert status == 503 and body.startswith("database:"), (status, body)
            assert proc.get("/healthz") == (200, "ok\n")
        server.start()
        wait_for(lambda: web.health() == 200 and worker.health() == 200, 30, "readiness after PostgreSQL is back")
    finally:
        for proc in procs:
            proc.stop()
        server.cleanup()


def test_readyz_is_503_while_the_inbox_is_over_its_limit(slack: SlackDouble, pg_url: str, tmp_path: Path,
                                                         procs: list[BotProcess]) -> None:
    """With no worker running, pending rows pile up: over INBOX_READY_LIMIT /readyz says 503 and names the inbox;
    a worker that works them off brings it back to 200."""
    env = bot_env(slack.api_url, pg_url, INBOX_READY_LIMIT="3")
    web = start(procs, env, tmp_path / "web.log", "web", http=True)
    sender = SlackSender(lambda: web.port)
    send_claims(sender, 5)
    status, body = web.get("/readyz")
    assert status == 503 and "inbox: more than 3 pending rows" in body, (status, body)
    assert web.get("/healthz")[0] == 200
    start(procs, env, tmp_path / "worker.log", "worker")
    wait_for(lambda: web.health() == 200, 60, "readiness once the worker has worked the inbox off")
    sender.close()


@pytest.mark.parametrize("role", ["web", "all"])
def test_socket_mode_serves_the_probes_on_the_side_port(slack: SlackDouble, pg_url: str, tmp_path: Path,
                                                        procs: list[BotProcess], role: str) -> None:
    """In Socket Mode (no HTTP events server) /healthz and /readyz answer on HEALTH_PORT; the socket was opened
    with the app token (apps.connections.open)."""
    env = bot_env(slack.api_url, pg_url, SLACK_APP_TOKEN="xapp-test")
    proc = start(procs, env, tmp_path / "socket.log", role)
    assert proc.get("/healthz") == (200, "ok\n")
    assert proc.get("/readyz") == (200, "ready\n")
    assert proc.get("/slack/events")[0] == 404  # the side port serves the probes only
    wait_for(lambda: bool(slack.of("apps.connections.open")), 30, "Socket Mode to ask for its WebSocket URL")


@pytest.mark.parametrize("role", ["web", "worker", "scheduler"])
def test_other_roles_on_sqlite_fail_with_one_line(tmp_path: Path, role: str) -> None:
    """SQLite supports one process: `--role web|worker|scheduler` on SQLite stops at once with one clear line."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'mirage.db'}", "SLACK_BOT_TOKEN": "xoxb-x",
           "SLACK_SIGNING_SECRET": "s"}
    result = CliRunner().invoke(mirage, ["run", "--role", role, "--http"], env=env)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and f"--role {role} needs PostgreSQL" in lines[0], result.output
    assert not (tmp_path / "mirage.db").exists()


def test_an_unknown_role_is_refused() -> None:
    """A role that does not exist is named in a one-line error."""
    result = CliRunner().invoke(mirage, ["run", "--role", "cook"], env={"DATABASE_URL": "sqlite:///x.db"})
    assert result.exit_code == 2 and "--role must be one of web, worker, scheduler, all" in result.output
