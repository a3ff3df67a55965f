"""The fault suite, through the real `mirage run --http` process and a Slack Web API double on loopback:
SIGKILL mid-load, PostgreSQL stopped and restarted mid-stream, commands under a message backlog, SIGTERM.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.bench.support.pgserver import ThrowawayPostgres
from bot.bench.support.slack_double import SlackDouble
from bot.store.engine import make_engine

from .bot_process import (
    BotProcess,
    SlackSender,
    bot_env,
    command_form,
    message_event,
    wait_for,
)
from .signing import actions_body


def states(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            return {s: int(n) for s, n in c.execute(text("SELECT state, count(*) FROM inbox GROUP BY state"))}
    finally:
        engine.dispose()


def stored_event_ids(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            return set(c.execute(text("SELECT event_id FROM inbox")).scalars())
    finally:
        engine.dispose()


def incident_count(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            return int(c.execute(text("SELECT count(*) FROM incidents")).scalar_one())
    finally:
        engine.dispose()


@pytest.fixture
def bots(tmp_path: Path) -> Iterator[list[BotProcess]]:
    started: list[BotProcess] = []
    yield started
    for bot in started:
        bot.stop()


def test_sigkill_mid_load_loses_no_acknowledged_event(slack: SlackDouble, tmp_path: Path,
                                                      bots: list[BotProcess]) -> None:
    """`kill -9` while events are arriving and replies are slow, then a restart: every event that got a 200 is
    processed, every acknowledged claim gets exactly one reply (none lost, none doubled)."""
    url = f"sqlite:///{tmp_path / 'mirage.db'}"
    slack.delays["chat.postMessage"] = 0.1  # a slow Web API, so a backlog is in the inbox when the kill comes
    env = bot_env(slack.api_url, url, INBOX_WORKERS="2")
    first = BotProcess(env, tmp_path / "bot.log").start()
    bots.append(first)
    port = {"now": first.port}
    sender = SlackSender(lambda: port["now"])
    base = int(time.time())
    claims: dict[str, tuple[str, str]] = {}
    futures = []
    for i in range(240):
        key, body, channel, ts = message_event(i, i % 3 == 0, base)
        if i % 3 == 0:
            claims[key] = (channel, ts)
        futures.append(sender.submit(key, body))
        if i == 160:
            wait_for(lambda: sum(1 for f in futures if f.done()) >= 150, 30, "150 answers before the kill")
            first.kill()
    for f in futures:
        f.result()
    at_kill = states(url)
    assert at_kill.get("pending", 0) + at_kill.get("working", 0) > 0, "the kill should interrupt a backlog"
    second = BotProcess(env, tmp_path / "bot.log", port=first.port).start()
    bots.append(second)
    wait_for(lambda: all(r == 200 for r in sender.retry_unacked()), 60, "Slack's retries to be acknowledged")
    acked = sender.acked()
    assert len(acked) == 240
    wait_for(lambda: set(states(url)) <= {"done"}, 90, "the inbox to be worked off after the restart")
    assert {s.key for s in acked} <= stored_event_ids(url)
    replies = {key: len(slack.replies_in(*where)) for key, where in claims.items()}
    assert all(n == 1 for n in replies.values()), {k: n for k, n in replies.items() if n != 1}
    assert incident_count(url) == len(claims)
    sender.close()


@pytest.mark.postgres
def test_postgres_stopped_and_restarted_mid_stream_loses_and_doubles_nothing(slack: SlackDouble, tmp_path: Path,
                                                                              bots: list[BotProcess]) -> None:
    """PostgreSQL stops mid-stream: events get 503 (not acknowledged, so Slack retries), /healthz says 503, and once
    the server is back every event is stored exactly once: 0 lost, 0 duplicated replies or incidents."""
    server = ThrowawayPostgres().start()
    try:
        url = server.create_database("mirage_faults")
        bot = BotProcess(bot_env(slack.api_url, url, INBOX_WORKERS="4"), tmp_path / "bot.log").start()
        bots.append(bot)
        sender = SlackSender(lambda: bot.port)
        base = int(time.time())
        claims: dict[str, tuple[str, str]] = {}
        numbers = itertools.count()

        def send(n: int) -> list[object]:
            sent = []
            for _ in range(n):
                i = next(numbers)
                key, body, channel, ts = message_event(i, i % 4 == 0, base)
                if i % 4 == 0:
                    claims[key] = (channel, ts)
                sent.append(sender.submit(key, body))
            return sent

        for f in send(80):
            f.result()  # type: ignore[attr-defined]
        server.stop()
        during = send(40)
        for f in during:
            f.result()  # type: ignore[attr-defined]
        refused = [s for s in sender.sent.values() if not s.acked]
        assert len(refused) >= 30, "events sent while the database is down must not be acknowledged"
        assert bot.health() == 503
        server.start()
        wait_for(lambda: bot.health() == 200, 30, "readiness after PostgreSQL is back")
        for f in send(80):
            f.result()  # type: ignore[attr-defined]
        wait_for(lambda: all(r == 200 for r in sender.retry_unacked()), 60, "every event acknowledged")
        wait_for(lambda: set(states(url)) <= {"done"}, 90, "the inbox worked off")
        assert {s.key for s in sender.sent.values()} == stored_event_ids(url)
        replies = {key: len(slack.replies_in(*where)) for key, where in claims.items()}
        assert all(n == 1 for n in replies.values()), {k: n for k, n in replies.items() if n != 1}
        assert incident_count(url) == len(claims)
        sender.close()
    finally:
        for bot in bots:
            bot.stop()
        server.cleanup()


def test_commands_and_clicks_are_acknowledged_fast_under_a_message_backlog(slack: SlackDouble, tmp_path: Path,
                                                                          bots: list[BotProcess]) -> None:
    """With a backlog of slow replies, `/mirage help` and button clicks are acknowledged in well under 3 s (they
    never wait behind messages) and still answered through their response_url."""
    slack.delays["chat.postMessage"] = 0.5
    url = f"sqlite:///{tmp_path / 'mirage.db'}"
    bot = BotProcess(bot_env(slack.api_url, url, INBOX_WORKERS="2"), tmp_path / "bot.log").start()
    bots.append(bot)
    sender = SlackSender(lambda: bot.port, threads=32)
    base = int(time.time())
    for f in [sender.submit(*message_event(i, True, base)[:2]) for i in range(60)]:
        f.result()
    assert states(url).get("pending", 0) > 20, "a backlog of claims waits for slow replies"
    asks = []
    for n in range(10):
        asks.append(sender.submit(f"cmd{n}", command_form("help", slack.response_url(f"cmd{n}"), f"U{n}"),
                                  "application/x-www-form-urlencoded"))
    for n in range(5):
        asks.append(sender.submit(f"click{n}", actions_body("mirage_show_card", "FM-16", "1.2",
                                                            slack.response_url(f"click{n}")),
                                  "application/x-www-form-urlencoded"))
    for f in asks:
        f.result()
    answered = [s for k, s in sender.sent.items() if k.startswith(("cmd", "click"))]
    assert all(s.statuses == [200] for s in answered)
    slowest = max(s.ack_seconds[0] for s in answered)
    assert slowest < 3.0, f"slowest ack {slowest:.2f} s"
    wait_for(lambda: len(slack.of("response_url")) >= 15, 30, "every command and click answered")
    assert states(url).get("pending", 0) > 0, "the message backlog was still there while commands were answered"
    sender.close()


def test_sigterm_with_a_backlog_exits_and_the_restart_finishes_the_work(slack: SlackDouble, tmp_path: Path,
                                                                        bots: list[BotProcess]) -> None:
    """SIGTERM stops intake and exits promptly (code 0) even with a backlog; nothing acknowledged is lost: the
    next start posts every remaining reply, once."""
    slack.delays["chat.postMessage"] = 0.3
    url = f"sqlite:///{tmp_path / 'mirage.db'}"
    env = bot_env(slack.api_url, url, INBOX_WORKERS="2", SHUTDOWN_GRACE_SECONDS="2")
    bot = BotProcess(env, tmp_path / "bot.log").start()
    bots.append(bot)
    sender = SlackSender(lambda: bot.port)
    base = int(time.time())
    events = [message_event(i, True, base) for i in range(40)]
    for f in [sender.submit(key, body) for key, body, _, _ in events]:
        f.result()
    assert len(sender.acked()) == 40
    started = time.monotonic()
    assert bot.terminate(timeout=15) == 0
    assert time.monotonic() - started < 10
    left = states(url)
    assert left.get("pending", 0) + left.get("working", 0) > 0, "SIGTERM came with work still to do"
    again = BotProcess(env, tmp_path / "bot.log", port=bot.port).start()
    bots.append(again)
    wait_for(lambda: set(states(url)) <= {"done"}, 60, "the rest of the backlog after the restart")
    replies = [len(slack.replies_in(channel, ts)) for _, _, channel, ts in events]
    assert replies == [1] * 40
    sender.close()
