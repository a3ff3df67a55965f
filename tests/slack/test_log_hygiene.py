"""No log line holds message text or a database password: bad signatures, SQL errors, floods, tracebacks."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from slack_bolt import App
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from werkzeug.test import Client

from bot.logs import configure_logging, mask_urls, redact
from bot.service.deps import Deps
from bot.slack.http import wsgi_app
from bot.store.engine import make_engine

from .conftest import Driver
from .logging_state import restored_logging
from .signing import SECRET, event_body

SECRET_TEXT = "zebra-orchid-7731 scored highest on MMLU, so it should be the best choice"


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Everything logged, at DEBUG, through Mirage's own logging set-up (restored afterwards). Request it before
    the app: Bolt copies the base logger's level when the app is built."""
    with restored_logging():
        stream = io.StringIO()
        configure_logging("DEBUG", stream, force=True)
        yield stream


def _flood(size: int) -> str:
    event = {"type": "message", "channel": "C1", "user": "U1", "text": SECRET_TEXT, "ts": "1.000001",
             "padding": "x" * size}
    return event_body(event, "Ev1")


@pytest.mark.parametrize("size", [10_000, 2_000_000, 20_000_000])
def test_unsigned_posts_are_refused_without_logging_their_body(
    log_output: io.StringIO, app: App, sqlite_engine: Engine, size: int
) -> None:
    """Unsigned POSTs (10 KB, 2 MB, 20 MB) are refused; the log says so in one short line each, without the text."""
    client = Client(wsgi_app(app, SECRET))
    for _ in range(3):
        response = client.post("/slack/events", data=_flood(size), content_type="application/json")
        assert response.status_code in (401, 413)
    logged = log_output.getvalue()
    assert "zebra-orchid" not in logged
    assert len(logged) < 3_000, f"{len(logged)} characters logged for three refused requests"


def test_bad_signature_line_still_says_what_happened(log_output: io.StringIO, driver: Driver) -> None:
    """The refused request is still visible in the log: 'Invalid request signature', with the body's size only."""
    response = driver.send(_flood(100), headers={"x-slack-signature": "v0=bad"})
    assert response.status == 401
    logged = log_output.getvalue()
    assert "Invalid request signature detected" in logged and "body not logged" in logged
    assert "zebra-orchid" not in logged


def test_sql_errors_hide_bound_parameters(sqlite_engine: Engine) -> None:
    """An SQL error raised by an engine from make_engine never carries the bound values (message excerpts)."""
    with sqlite_engine.begin() as c:
        c.execute(text("CREATE TABLE t (x TEXT PRIMARY KEY)"))
        c.execute(text("INSERT INTO t VALUES (:x)"), {"x": SECRET_TEXT})
    with pytest.raises(IntegrityError) as caught, sqlite_engine.begin() as c:
        c.execute(text("INSERT INTO t VALUES (:x)"), {"x": SECRET_TEXT})
    assert "zebra-orchid" not in str(caught.value)
    assert "parameters hidden" in str(caught.value)


def test_a_failing_store_logs_the_error_and_traceback_without_the_message(
    log_output: io.StringIO, driver: Driver, deps: Deps
) -> None:
    """A claim whose write fails (table gone: not an outage, so the row is retried later) is logged with its
    traceback, and not one word of the text."""
    with deps.engine.begin() as c:
        c.execute(text("DROP TABLE daily_balance"))
    driver.message(SECRET_TEXT)
    logged = log_output.getvalue()
    assert "WARNING" in logged and "Traceback" in logged and "daily_balance" in logged
    assert "zebra-orchid" not in logged


def test_database_urls_are_masked_in_logs_and_cli_errors(
    log_output: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    """A PostgreSQL URL with a password is logged and printed with the password replaced by ***."""
    from bot.cli.loading import fail

    url = "postgresql+psycopg://mirage:hunter2-secret@db.internal:5432/mirage"
    logging.getLogger("mirage").error("cannot reach %s", url)
    fail(f"cannot open the database {url!r}: timeout")
    assert "hunter2" not in log_output.getvalue() and "mirage:***@db.internal" in log_output.getvalue()
    assert "hunter2" not in capsys.readouterr().err
    assert mask_urls("sqlite:///mirage.db and https://example.com/a") == "sqlite:///mirage.db and https://example.com/a"


def test_redact_bounds_every_record() -> None:
    """Whatever reaches the formatter, one record is at most a few thousand characters, SQL dumps removed."""
    huge = redact("x" * 1_000_000)
    assert len(huge) < 4_100 and huge.endswith("characters not logged]")
    dumped = "(sqlite3.IntegrityError) UNIQUE failed\n[SQL: INSERT INTO t VALUES (?)]\n[parameters: ('secret',)]\n"
    assert "secret" not in redact(dumped) and "[SQL: INSERT INTO t VALUES (?)]" in redact(dumped)


def test_make_engine_hides_parameters_on_postgres_urls_too() -> None:
    """The PostgreSQL engine is built with hide_parameters as well (no connection needed to check)."""
    engine = make_engine("postgresql://u:p@127.0.0.1:1/none")
    assert engine.hide_parameters
