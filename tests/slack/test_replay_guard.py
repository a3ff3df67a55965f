"""A signed command or click replayed inside Slack's 5-minute window runs once: the signature is remembered."""

from __future__ import annotations

import logging
import time

import pytest
from slack_bolt import App, BoltRequest, BoltResponse
from sqlalchemy import text
from sqlmodel import select

from bot.bench.support.slack_double import SlackDouble
from bot.service.deps import Deps
from bot.settings import Settings
from bot.slack.app import build_app
from bot.store.channels import channel_setting
from bot.store.engine import session_scope
from bot.store.models import Feedback, RequestNonce

from .conftest import Driver
from .signing import actions_body, command_body, sign

FORM = "application/x-www-form-urlencoded"
CLAIM = "It scored highest on MMLU, so it should be the best choice."


def _dispatch(app: App, body: str, headers: dict[str, str]) -> BoltResponse:
    return app.dispatch(BoltRequest(body=body, headers={"content-type": FORM, **headers}))


def test_replayed_command_runs_once(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """The same signed `/mirage mode shadow` sent three times answers once; the replays get an empty 200."""
    body = command_body("mode shadow", slack.response_url("cmd"))
    headers = sign(body)
    responses = [_dispatch(driver.app, body, headers) for _ in range(3)]
    assert [r.status for r in responses] == [200, 200, 200]
    assert len(slack.of("response_url")) == 1
    with session_scope(deps.engine) as s:
        assert channel_setting(s, "T0TEAM", "C0GENERAL").mode == "shadow"
        assert len(s.exec(select(RequestNonce)).all()) == 1


def test_replayed_click_stores_and_updates_once(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """A replayed 'Not relevant' click stores one verdict and collapses the reply once."""
    driver.message(CLAIM)
    post = slack.of("chat.postMessage")[0]
    body = actions_body("mirage_not_relevant", post.body["blocks"][4]["elements"][1]["value"], post.answer["ts"],
                        slack.response_url("act"))
    headers = sign(body)
    for _ in range(2):
        assert _dispatch(driver.app, body, headers).status == 200
    assert len(slack.of("chat.update")) == 1
    with session_scope(deps.engine) as s:
        assert len(s.exec(select(Feedback)).all()) == 1


def test_replay_to_another_process_is_refused_too(
    driver: Driver, slack: SlackDouble, settings: Settings, deps: Deps
) -> None:
    """The guard lives in the database: a second app on the same store refuses the first app's signature."""
    other = build_app(settings, Deps(engine=deps.engine, detector=deps.detector, catalog=deps.catalog,
                                     settings=settings))
    body = command_body("help", slack.response_url("cmd"))
    headers = sign(body)
    _dispatch(driver.app, body, headers)
    _dispatch(other, body, headers)
    assert len(slack.of("response_url")) == 1


def test_a_new_signature_for_the_same_command_runs_again(driver: Driver, slack: SlackDouble) -> None:
    """Typing the same command again is a new request (new timestamp, new signature): it is answered."""
    body = command_body("help", slack.response_url("cmd"))
    now = int(time.time())
    _dispatch(driver.app, body, sign(body, timestamp=now - 1))
    _dispatch(driver.app, body, sign(body, timestamp=now))
    assert len(slack.of("response_url")) == 2


def test_events_are_not_guarded(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """Message events are left to event-id dedupe: the guard records nothing for them."""
    driver.message(CLAIM)
    assert len(slack.of("chat.postMessage")) == 1
    with session_scope(deps.engine) as s:
        assert s.exec(select(RequestNonce)).all() == []


def test_commands_still_run_when_the_guard_cannot_write(driver: Driver, slack: SlackDouble, deps: Deps,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    """If the nonce table cannot be written (database trouble), the command is not blocked: it runs and says
    what it can, and the guard logs one warning naming the request kind."""
    with deps.engine.begin() as c:
        c.execute(text("DROP TABLE request_nonces"))
    with caplog.at_level(logging.WARNING, logger="bot.slack.replay_guard"):
        assert driver.command("help").status == 200
    assert len(slack.of("response_url")) == 1
    assert "replay guard unavailable" in caplog.text and "/mirage" in caplog.text
