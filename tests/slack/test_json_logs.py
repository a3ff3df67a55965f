"""Structured logs: JSON lines (one event per line, parsed with json.loads) carrying workspace, channel, event id,
card and action where known; never a token, a secret or the text of a message; the text format stays a readable
line on a terminal; LOG_FORMAT=auto picks between them by whether the stream is a terminal."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.bench.support.slack_double import SlackDouble, api_error
from bot.logs import configure_logging, log_context, log_fields, redact, use_json
from bot.settings import Settings, settings_problem

from .conftest import RULES, Driver
from .logging_state import restored_logging
from .signing import SECRET

TOKEN = "xoxb-1234-5678-SECRETTOKENVALUE"
SECRET_TEXT = "zebra-orchid-7731 scored highest on MMLU, so it should be the best choice"
Capture = Callable[[str], io.StringIO]


@pytest.fixture
def settings(slack: SlackDouble, tmp_path: Path) -> Settings:
    """The suite's settings with a recognisable bot token, to prove it is never logged."""
    return Settings(
        slack_bot_token=TOKEN, slack_signing_secret=SECRET, slack_api_url=slack.api_url,
        database_url=f"sqlite:///{tmp_path / 'mirage.db'}", rules_dir=RULES, _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def capture() -> Iterator[Capture]:
    """Mirage's own logging set-up at DEBUG on a StringIO, in the format asked for (restored afterwards). Request it
    before the app: Bolt copies the base logger's level when the app is built."""
    def start(fmt: str) -> io.StringIO:
        stream = io.StringIO()
        configure_logging("DEBUG", stream, force=True, fmt=fmt)
        return stream

    with restored_logging("alembic"):
        yield start


@pytest.fixture
def json_log(capture: Capture) -> io.StringIO:
    return capture("json")


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    """Every line of the stream, each parsed on its own with json.loads (a line that is not JSON fails here)."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_parse_and_carry_the_fields(json_log: io.StringIO, driver: Driver) -> None:
    """A handled claim logs one JSON line with timestamp, level, logger, message, workspace, channel, event id,
    card, tier and action; every line of the run parses on its own."""
    _, event = driver.message(SECRET_TEXT)
    records = lines(json_log)
    assert records, "nothing was logged"
    for record in records:
        assert {"timestamp", "level", "logger", "message"} <= set(record)
        assert record["timestamp"].endswith("+00:00") and "T" in record["timestamp"]
    [claim] = [r for r in records if r["message"].startswith("claim FM-16")]
    assert claim["level"] == "INFO" and claim["logger"] == "bot.service.messages"
    assert claim["workspace"] == "T0TEAM" and claim["channel"] == "C0GENERAL"
    assert claim["event_id"] == f"Ev{event['ts']}"
    assert (claim["card"], claim["tier"], claim["action"]) == ("FM-16", "reply", "reply")
    assert claim["incident"] == "1"


def test_lines_inside_a_worker_row_carry_its_context(json_log: io.StringIO, driver: Driver,
                                                     slack: SlackDouble) -> None:
    """A post Slack refuses is logged from the posting layer with the action, and with the workspace, channel and
    event id of the inbox row being processed (the worker's log context)."""
    slack.script("chat.postMessage", api_error("channel_not_found"))
    _, event = driver.message(SECRET_TEXT)
    [failed] = [r for r in lines(json_log) if r["message"].startswith("posting reply for incident")]
    assert failed["level"] == "ERROR" and "channel_not_found" in failed["message"]
    assert failed["action"] == "reply" and failed["incident"] == "1"
    assert failed["workspace"] == "T0TEAM" and failed["event_id"] == f"Ev{event['ts']}"


def test_no_token_secret_or_message_text_in_a_full_handled_event(json_log: io.StringIO, driver: Driver,
                                                                 slack: SlackDouble) -> None:
    """A claim received, stored, detected, replied to, clicked and refused once by Slack, all at DEBUG: the
    captured lines hold neither the message's text nor the bot token nor the signing secret."""
    driver.message(SECRET_TEXT)
    post = slack.of("chat.postMessage")[0]
    driver.click("mirage_not_relevant", str(post.body["blocks"][4]["elements"][1]["value"]), str(post.answer["ts"]))
    slack.script("chat.postMessage", api_error("channel_not_found"))
    driver.message(SECRET_TEXT, channel="C0OTHER")
    logged = json_log.getvalue()
    assert len(lines(json_log)) >= 3
    assert "zebra-orchid" not in logged and "scored highest" not in logged
    assert "SECRETTOKENVALUE" not in logged and "5678" not in logged
    assert SECRET not in logged


def test_text_format_stays_readable(capture: Capture, driver: Driver) -> None:
    """LOG_FORMAT=text: one human line per record, 'time LEVEL logger: message [fields]', not JSON."""
    stream = capture("text")
    driver.message(SECRET_TEXT)
    [claim] = [line for line in stream.getvalue().splitlines() if "claim FM-16" in line]
    assert " INFO bot.service.messages: claim FM-16 (reply tier): reply, claim detected [" in claim
    assert "workspace=T0TEAM channel=C0GENERAL" in claim and "card=FM-16" in claim
    with pytest.raises(json.JSONDecodeError):
        json.loads(claim)
    assert "zebra-orchid" not in stream.getvalue()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auto_is_json_unless_the_stream_is_a_terminal() -> None:
    """LOG_FORMAT=auto: JSON into a pipe or file, text on a terminal; json and text are taken as said."""
    assert use_json("auto", io.StringIO()) is True
    assert use_json("auto", Terminal()) is False
    assert use_json("json", Terminal()) is True
    assert use_json("text", io.StringIO()) is False
    with pytest.raises(ValueError, match="log format"):
        use_json("xml", io.StringIO())


def test_log_format_setting_is_checked() -> None:
    """LOG_FORMAT is read case-insensitively, defaults to auto, and a bad value names the variable."""
    assert Settings(_env_file=None).log_format == "auto"  # type: ignore[call-arg]
    assert Settings(_env_file=None, log_format=" JSON ").log_format == "json"  # type: ignore[call-arg]
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, log_format="xml")  # type: ignore[call-arg]
    assert settings_problem(caught.value).startswith("LOG_FORMAT=xml: not a log format")


def test_only_known_fields_are_written(capture: Capture) -> None:
    """Extras other than the known fields (a payload, a text) never reach a JSON line; context nests and ends."""
    stream = capture("json")
    logger = logging.getLogger("mirage.test")
    with log_context(workspace="T1", channel="C1"), log_context(event_id="Ev1"):
        logger.info("inside", extra={"text": SECRET_TEXT, "payload": {"text": SECRET_TEXT}})
    logger.info("outside")
    inside, outside = lines(stream)
    assert (inside["workspace"], inside["channel"], inside["event_id"]) == ("T1", "C1", "Ev1")
    assert "text" not in inside and "payload" not in inside and "zebra" not in stream.getvalue()
    assert "workspace" not in outside
    with pytest.raises(ValueError, match="unknown log field"):
        log_fields(text="x")


def test_tokens_are_masked_wherever_they_appear() -> None:
    """A Slack token in any record (an exception message, say) is written as its kind and ***."""
    assert redact(f"auth failed for {TOKEN} and xapp-1-A0-123-abc") == "auth failed for xoxb-*** and xapp-***"


def test_a_traceback_stays_on_its_one_json_line(capture: Capture) -> None:
    """An exception logged in JSON is one line: the traceback in `exception` (redacted: no URL password), the
    message beside it."""
    stream = capture("json")
    try:
        raise RuntimeError("cannot reach postgresql://mirage:hunter2@db/mirage")
    except RuntimeError:
        logging.getLogger("mirage.test").exception("store failed", extra=log_fields(channel="C1"))
    [record] = lines(stream)
    assert record["message"] == "store failed" and record["channel"] == "C1"
    assert record["exception"].startswith("Traceback") and "RuntimeError" in record["exception"]
    assert "hunter2" not in stream.getvalue() and "mirage:***@db" in record["exception"]
