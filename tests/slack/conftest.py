"""The real Bolt app, wired to a local Slack Web API double and a real SQLite store, driven by signed requests."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App, BoltRequest, BoltResponse
from sqlalchemy import Engine

from bot.bench.support.slack_double import SlackDouble
from bot.catalog import Catalog
from bot.detection import Detector
from bot.service.deps import Deps
from bot.service.worker import InboxWorker
from bot.settings import Settings
from bot.slack.app import build_app, read_identity
from bot.slack.client import build_client
from bot.slack.processing import EventProcessor

from .signing import SECRET, actions_body, command_body, event_body, sign

RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture
def slack() -> Iterator[SlackDouble]:
    with SlackDouble() as double:
        yield double


@pytest.fixture
def settings(slack: SlackDouble, tmp_path: Path) -> Settings:
    return Settings(
        slack_bot_token="xoxb-test", slack_signing_secret=SECRET, slack_api_url=slack.api_url,
        database_url=f"sqlite:///{tmp_path / 'mirage.db'}", rules_dir=RULES, _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def deps(sqlite_engine: Engine, detector: Detector, catalog: Catalog, settings: Settings) -> Deps:
    return Deps(engine=sqlite_engine, detector=detector, catalog=catalog, settings=settings)


_ts = itertools.count(1)


def new_ts() -> str:
    """A fresh, increasing Slack ts close to now (the message time policy and store see)."""
    return f"{int(time.time())}.{next(_ts):06d}"


class InlineExecutor(Executor):
    """Runs what Bolt submits (the work after an ack) right away in the caller's thread, so tests stay in step."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - handed back through the future, as a thread pool would
            future.set_exception(exc)
        return future


@dataclass
class Driver:
    """Sends real signed requests to the real App; the work after the ack runs inline, and the inbox is drained
    after each request, so a test sees every effect when `send` returns."""

    app: App
    slack: SlackDouble
    worker: InboxWorker | None = None

    def send(self, body: str, content_type: str = "application/json", retry: int | None = None,
             headers: dict[str, str] | None = None) -> BoltResponse:
        sent = {"content-type": content_type, **sign(body), **(headers or {})}
        if retry is not None:
            sent |= {"x-slack-retry-num": str(retry), "x-slack-retry-reason": "http_timeout"}
        response = self.app.dispatch(BoltRequest(body=body, headers=sent))
        if self.worker is not None:
            self.worker.drain()
        return response

    def message(self, text: str, *, user: str = "U0ALICE", channel: str = "C0GENERAL", ts: str | None = None,
                thread_ts: str | None = None, event_id: str | None = None, retry: int | None = None,
                **extra: Any) -> tuple[BoltResponse, dict[str, Any]]:
        event: dict[str, Any] = {"type": "message", "channel": channel, "user": user, "text": text,
                                 "ts": ts or new_ts(), "channel_type": "channel", **extra}
        if thread_ts:
            event["thread_ts"] = thread_ts
        response = self.send(event_body(event, event_id or f"Ev{event['ts']}"), retry=retry)
        return response, event

    def event(self, event: dict[str, Any], event_id: str | None = None) -> BoltResponse:
        return self.send(event_body(event, event_id or f"Ev{new_ts()}"))

    def command(self, text: str, **kw: str) -> BoltResponse:
        return self.send(command_body(text, self.slack.response_url("cmd"), **kw),
                         content_type="application/x-www-form-urlencoded")

    def click(self, action_id: str, value: str, message_ts: str, **kw: Any) -> BoltResponse:
        return self.send(actions_body(action_id, value, message_ts, self.slack.response_url("act"), **kw),
                         content_type="application/x-www-form-urlencoded")


@pytest.fixture
def app(settings: Settings, deps: Deps) -> App:
    return build_app(settings, deps, listener_executor=InlineExecutor())


@pytest.fixture
def worker(settings: Settings, deps: Deps) -> InboxWorker:
    """The inbox worker, not started: tests drain it in their own thread."""
    client = build_client(settings)
    identity, _ = read_identity(client)
    return InboxWorker(deps, EventProcessor(client, deps, identity))


@pytest.fixture
def driver(app: App, slack: SlackDouble, worker: InboxWorker) -> Driver:
    return Driver(app, slack, worker)
