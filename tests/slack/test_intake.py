"""Durable intake through the real App: stored before the ack, one identity per message, a database that cannot
take the write is a 503 (Slack retries), unconfirmed posts are reconciled, bad events never crash anything."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import Engine, text
from sqlmodel import select

from bot.bench.support.slack_double import SlackDouble
from bot.catalog import Catalog
from bot.detection import Detector
from bot.replay.export import ExportMessage
from bot.replay.run import new_incident
from bot.replay.store import write_incidents
from bot.service.deps import Deps
from bot.service.worker import InboxWorker
from bot.settings import Settings
from bot.slack.app import build_app, read_identity
from bot.slack.processing import EventProcessor
from bot.store import inbox
from bot.store.engine import session_scope
from bot.store.models import InboxItem, Incident

from .conftest import Driver, InlineExecutor, new_ts

CLAIM = "It scored highest on MMLU, so it should be the best choice."


def incidents(deps: Deps) -> list[Incident]:
    with session_scope(deps.engine) as s:
        return list(s.exec(select(Incident).order_by(Incident.id)))  # type: ignore[arg-type]


def inbox_counts(deps: Deps) -> dict[str, int]:
    with session_scope(deps.engine) as s:
        return inbox.counts(s)


def test_the_event_is_stored_before_the_ack_and_processed_from_the_inbox(app: App, deps: Deps,
                                                                         slack: SlackDouble,
                                                                         worker: InboxWorker) -> None:
    """Without the worker running, a 200 already means a pending inbox row; draining it posts the reply."""
    undrained = Driver(app, slack)  # no worker: only the intake runs
    response, event = undrained.message(CLAIM)
    assert response.status == 200
    assert inbox_counts(deps) == {"pending": 1}
    assert slack.of("chat.postMessage") == []
    assert worker.drain() == 1
    assert inbox_counts(deps) == {"done": 1}
    [post] = slack.of("chat.postMessage")
    assert post.body["thread_ts"] == event["ts"]
    with session_scope(deps.engine) as s:
        [row] = s.exec(select(InboxItem)).all()
    assert row.payload is None  # the message text is not kept once the event is done


def test_one_message_under_two_event_ids_is_one_incident(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """The same message delivered under a second event id is neither recorded nor answered again."""
    ts = new_ts()
    driver.message(CLAIM, ts=ts, event_id="Ev0FIRST")
    response, _ = driver.message(CLAIM, ts=ts, event_id="Ev0SECOND")
    assert response.status == 200
    assert len(incidents(deps)) == 1
    assert len(slack.of("chat.postMessage")) == 1


def test_a_replayed_live_message_is_not_a_second_incident(driver: Driver, deps: Deps) -> None:
    """A live message that later comes back from an export replay keeps its one incident."""
    ts = new_ts()
    driver.message(CLAIM, ts=ts, channel="C0GENERAL")
    [live] = incidents(deps)
    moment = datetime.fromtimestamp(float(ts), UTC)
    replayed = ExportMessage("C0GENERAL", "general", ts, None, "U0ALICE", CLAIM, time=moment, day=moment.date())
    detection = deps.detector.detect(CLAIM)
    with session_scope(deps.engine) as s:
        written = write_incidents(s, [new_incident("T0TEAM", replayed, detection, "live")])
    assert (written.stored, written.already_stored) == (0, 1)
    assert [i.id for i in incidents(deps)] == [live.id]


def test_a_database_that_cannot_take_the_write_gets_503_then_the_retry_is_stored(driver: Driver, deps: Deps,
                                                                                  slack: SlackDouble) -> None:
    """When the inbox write fails the event is not acknowledged (503, Slack retries); the retry is stored and
    answered once."""
    with deps.engine.begin() as c:
        c.execute(text("ALTER TABLE inbox RENAME TO inbox_away"))
    ts = new_ts()
    response, _ = Driver(driver.app, slack).message(CLAIM, ts=ts, event_id="Ev0DOWN")
    assert response.status == 503
    assert slack.of("chat.postMessage") == []
    with deps.engine.begin() as c:
        c.execute(text("ALTER TABLE inbox_away RENAME TO inbox"))
    response, _ = driver.message(CLAIM, ts=ts, event_id="Ev0DOWN", retry=1)
    assert response.status == 200
    assert len(slack.of("chat.postMessage")) == 1
    assert len(incidents(deps)) == 1


def test_a_post_that_timed_out_but_was_delivered_is_found_not_repeated(app: App, deps: Deps, slack: SlackDouble,
                                                                       settings: Settings) -> None:
    """chat.postMessage times out on Mirage's side but Slack delivered it: the thread is read, the reply is found
    by its metadata, recorded on the incident (so a delete still deletes it), and never posted twice."""
    client = WebClient(token="xoxb-test", base_url=slack.api_url, timeout=0.3)
    identity, _ = read_identity(client)
    worker = InboxWorker(deps, EventProcessor(client, deps, identity))
    driver = Driver(app, slack, worker)
    slack.delays["chat.postMessage"] = 0.8
    _, event = driver.message(CLAIM)
    assert len(slack.of("chat.postMessage")) == 1
    [incident] = incidents(deps)
    [delivered] = slack.replies_in("C0GENERAL", event["ts"])
    assert (incident.reply_ts, incident.post_error) == (delivered["ts"], None)
    assert inbox_counts(deps) == {"done": 1}
    slack.delays.clear()
    driver.event({"type": "message", "subtype": "message_deleted", "channel": "C0GENERAL", "hidden": True,
                  "ts": new_ts(), "deleted_ts": event["ts"]})
    [delete] = slack.of("chat.delete")
    assert delete.body["ts"] == delivered["ts"]


def test_a_post_lost_before_slack_got_it_is_retried_once(app: App, deps: Deps, slack: SlackDouble) -> None:
    """A timeout with nothing in the thread puts the event back; the next attempt looks again, then posts once."""
    client = WebClient(token="xoxb-test", base_url=slack.api_url, timeout=0.3)
    identity, _ = read_identity(client)
    worker = InboxWorker(deps, EventProcessor(client, deps, identity))
    slack.delays["chat.postMessage"] = 0.8
    slack.drop_posts = True  # the post never reaches the channel
    _, event = Driver(app, slack, worker).message(CLAIM)
    assert slack.replies_in("C0GENERAL", event["ts"]) == []
    assert inbox_counts(deps) == {"pending": 1}
    slack.delays.clear()
    slack.drop_posts = False
    with session_scope(deps.engine) as s:
        s.execute(text("UPDATE inbox SET available_at = '2000-01-01 00:00:00'"))  # the retry is due now
    assert worker.drain() == 1
    replies = slack.replies_in("C0GENERAL", event["ts"])
    assert len(replies) == 1
    [incident] = incidents(deps)
    assert incident.reply_ts == replies[0]["ts"]
    assert inbox_counts(deps) == {"done": 1}


def test_a_row_processed_again_after_a_crash_posts_nothing_twice(driver: Driver, deps: Deps,
                                                                 slack: SlackDouble) -> None:
    """A row whose effect and reply were stored but which was never marked done (killed in between) is
    processed again at start: no second count, no second incident, no second reply."""
    _, event = driver.message(CLAIM)
    with session_scope(deps.engine) as s:
        s.execute(text("UPDATE inbox SET state = 'working', payload = :p"),
                  {"p": '{"type": "event_callback", "team_id": "T0TEAM", "event_id": "EvX", "event": '
                        '{"type": "message", "channel": "C0GENERAL", "user": "U0ALICE", "text": "' + CLAIM +
                        '", "ts": "' + event["ts"] + '"}}'})
    assert driver.worker is not None
    assert driver.worker.recover() == 1
    assert driver.worker.drain() == 1
    assert len(slack.of("chat.postMessage")) == 1
    assert len(incidents(deps)) == 1


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ({"type": "message", "channel": "C0GENERAL", "user": "U0ALICE", "text": CLAIM, "ts": "inf"}, "valid ts"),
        ({"type": "message", "channel": "C0GENERAL", "user": "U0ALICE", "text": CLAIM, "ts": "nan"}, "valid ts"),
        ({"type": "message", "channel": "C0GENERAL", "user": "U0ALICE", "text": CLAIM, "ts": "-1.5"}, "valid ts"),
        ({"type": "message", "channel": "C0GENERAL", "user": "U0ALICE", "text": CLAIM, "ts": 1e308}, "valid ts"),
        ({"type": "message", "user": "U0ALICE", "text": CLAIM, "ts": "1700000000.000001"}, "without a channel"),
        ({"type": "message", "channel": ["C1"], "user": "U0ALICE", "text": CLAIM, "ts": "1700000000.000002"},
         "without a channel"),
        ({"type": "message", "channel": "C0GENERAL", "user": "U0ALICE", "text": {"x": 1},
          "ts": "1700000000.000003"}, "text is not a string"),
        ({"type": "message", "channel": "C0GENERAL", "user": "U0ALICE", "text": CLAIM,
          "ts": "1700000000.000004", "thread_ts": "soon"}, "invalid thread_ts"),
    ],
)
def test_unusable_events_are_acknowledged_and_skipped_with_a_reason(driver: Driver, deps: Deps, slack: SlackDouble,
                                                                    caplog: pytest.LogCaptureFixture,
                                                                    event: dict[str, object], reason: str) -> None:
    """An event Mirage cannot use is answered 200 (a retry would not help), not stored, and logged with why,
    never with its text."""
    with caplog.at_level(logging.INFO):
        response = driver.event(event)
    assert response.status == 200
    assert inbox_counts(deps) == {}
    assert slack.of("chat.postMessage") == []
    assert any(reason in r.getMessage() for r in caplog.records)
    assert not any("MMLU" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("poison", ["\x00", "\ud800", "\udfff tail", "x\x00\ud83d"])
def test_nul_and_lone_surrogates_are_replaced_and_the_claim_still_answered(driver: Driver, deps: Deps,
                                                                           slack: SlackDouble, poison: str) -> None:
    """Text with NUL or a lone surrogate (neither survives UTF-8 or PostgreSQL) is stored with U+FFFD instead;
    the claim is recorded and answered, and nothing crashes after the ack."""
    response, _ = driver.message(f"{CLAIM} {poison}")
    assert response.status == 200
    assert inbox_counts(deps) == {"done": 1}
    [incident] = incidents(deps)
    assert "\x00" not in incident.excerpt and "\ufffd" in incident.excerpt
    assert len(slack.of("chat.postMessage")) == 1


@pytest.mark.postgres
def test_nul_and_lone_surrogates_on_postgres_never_crash_after_the_ack(pg_engine: Engine, detector: Detector,
                                                                        catalog: Catalog, settings: Settings,
                                                                        slack: SlackDouble) -> None:
    """On PostgreSQL (which refuses NUL in text) a claim with NUL and a lone surrogate is stored, recorded and
    answered; the thread it came from is read without error."""
    deps = Deps(engine=pg_engine, detector=detector, catalog=catalog, settings=settings)
    client = WebClient(token="xoxb-test", base_url=slack.api_url)
    identity, authorization = read_identity(client)
    app = build_app(settings, deps, client=client, listener_executor=InlineExecutor(), authorization=authorization)
    driver = Driver(app, slack, InboxWorker(deps, EventProcessor(client, deps, identity)))
    response, _ = driver.message(f"{CLAIM} \x00 and \ud800", thread_ts=None)
    assert response.status == 200
    with session_scope(pg_engine) as s:
        assert inbox.counts(s) == {"done": 1}
        [incident] = s.exec(select(Incident)).all()
    assert "\ufffd" in incident.excerpt
    assert len(slack.of("chat.postMessage")) == 1


def test_auth_test_is_called_once_at_start_and_never_per_event(settings: Settings, deps: Deps,
                                                                slack: SlackDouble) -> None:
    """One auth.test at start serves Bolt's authorization, permalinks and is_self: none per event or command."""
    client = WebClient(token="xoxb-test", base_url=slack.api_url)
    identity, authorization = read_identity(client)
    app = build_app(settings, deps, client=client, listener_executor=InlineExecutor(), authorization=authorization)
    driver = Driver(app, slack, InboxWorker(deps, EventProcessor(client, deps, identity)))
    for n in range(3):
        driver.message(CLAIM, channel=f"C0AUTH{n}")
        driver.command("help")
    [incident, *_] = incidents(deps)
    assert incident.permalink is not None and incident.permalink.startswith("https://test.slack.com/archives/")
    assert len(slack.of("auth.test")) == 1
    assert len(slack.of("chat.postMessage")) == 3


def test_a_row_whose_statement_fails_by_itself_is_retried_later_not_in_a_loop(deps: Deps, app: App,
                                                                             slack: SlackDouble) -> None:
    """A processing error that is not an outage (here an IntegrityError) puts the row back with a short reason,
    without the SQL or its parameters, and the worker moves on instead of retrying it in place for ever."""
    from sqlalchemy.exc import IntegrityError

    def broken(_row: InboxItem) -> None:
        raise IntegrityError("INSERT INTO incidents ... SECRETWORDS", {"excerpt": "SECRETWORDS"}, Exception("dup"))

    worker = InboxWorker(deps, broken)
    Driver(app, slack).message(CLAIM)
    assert worker.drain() == 1
    with session_scope(deps.engine) as s:
        [row] = s.exec(select(InboxItem)).all()
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.error is not None and "IntegrityError" in row.error and "SECRETWORDS" not in row.error


def test_plain_chatter_is_handled_in_full_at_intake_and_counted_once(app: App, deps: Deps, slack: SlackDouble,
                                                                      worker: InboxWorker) -> None:
    """A message with no benchmark or user-evidence word is done in the intake transaction itself (its row goes
    in done, with the channel's message counter); a retry or a second event id counts nothing again; a message
    that mentions a benchmark still goes to the worker."""
    from bot.store.stats import channel_stats

    undrained = Driver(app, slack)
    ts = new_ts()
    undrained.message("lunch at noon?", ts=ts, event_id="Ev0LUNCH")
    undrained.message("lunch at noon?", ts=ts, event_id="Ev0LUNCH", retry=1)
    undrained.message("lunch at noon?", ts=ts, event_id="Ev0LUNCH2")
    assert inbox_counts(deps) == {"done": 1}
    undrained.message("MMLU is a benchmark of 57 subjects.")
    assert inbox_counts(deps) == {"done": 1, "pending": 1}
    assert worker.drain() == 1
    with session_scope(deps.engine) as s:
        stats = channel_stats(s, "T0TEAM", "C0GENERAL", deps.clock().replace(hour=0, minute=0))
    assert (stats.messages, stats.benchmark_messages) == (2, 1)
    assert slack.of("chat.postMessage") == []
