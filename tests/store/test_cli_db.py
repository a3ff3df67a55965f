"""`mirage db upgrade|status` and `mirage purge` on a SQLite file named by DATABASE_URL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import col
from typer.testing import CliRunner

from bot.cli.db import parse_duration
from bot.cli.main import app
from bot.store.engine import current_revision, head_revision, make_engine, session_scope
from bot.store.incidents import record_incident
from bot.store.models import Incident

from .factory import incident

runner = CliRunner()


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'data' / 'mirage.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no stray .env
    return url


def _incidents(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            return list(s.scalars(select(col(Incident.user_id)).order_by(col(Incident.id))))
    finally:
        engine.dispose()


def test_db_upgrade_creates_then_reports_up_to_date(db_url: str) -> None:
    """`mirage db upgrade` migrates an empty database and says so; a second run says there was nothing to do."""
    first = runner.invoke(app, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert f"upgraded schema from (empty) to {head_revision()}" in first.output
    second = runner.invoke(app, ["db", "upgrade"])
    assert second.exit_code == 0
    assert "nothing to do" in second.output
    engine = make_engine(db_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()
    status = runner.invoke(app, ["db", "status"])
    assert "up to date" in status.output


def _seed(url: str) -> None:
    runner.invoke(app, ["db", "upgrade"])
    engine = make_engine(url)
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        record_incident(s, incident(user_id="U_OLD", created_at=now - timedelta(days=200)))
        record_incident(s, incident(user_id="U123", created_at=now - timedelta(days=1)))
        record_incident(s, incident(user_id="U_NEW", created_at=now - timedelta(days=1)))
    engine.dispose()


def test_purge_older_than_deletes_old_incidents(db_url: str) -> None:
    """`mirage purge --older-than 180d` deletes the 200-day-old incident and reports the count."""
    _seed(db_url)
    result = runner.invoke(app, ["purge", "--older-than", "180d"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 rows older than" in result.output
    assert _incidents(db_url) == ["U123", "U_NEW"]


def test_purge_user_deletes_their_incidents(db_url: str) -> None:
    """`mirage purge --user U123` deletes that person's incidents only."""
    _seed(db_url)
    result = runner.invoke(app, ["purge", "--user", "U123"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 rows about user U123" in result.output
    assert _incidents(db_url) == ["U_OLD", "U_NEW"]


@pytest.mark.parametrize("bad", ["abc", "180x", "-5d", ""])
def test_purge_bad_duration_is_a_clear_error(db_url: str, bad: str) -> None:
    """A bad --older-than exits 2 with a one-line message, no traceback, and deletes nothing."""
    _seed(db_url)
    result = runner.invoke(app, ["purge", "--older-than", bad])
    assert result.exit_code == 2
    assert "not a duration" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert len(_incidents(db_url)) == 3


def test_purge_needs_an_option(db_url: str) -> None:
    """`mirage purge` alone explains what it needs and exits 2."""
    result = runner.invoke(app, ["purge"])
    assert result.exit_code == 2
    assert "--older-than" in result.output and "--user" in result.output


def test_purge_on_an_unmigrated_database_says_to_upgrade(db_url: str) -> None:
    """Purging a database that was never migrated exits 2 and points at `mirage db upgrade`."""
    result = runner.invoke(app, ["purge", "--older-than", "30d"])
    assert result.exit_code == 2
    assert "mirage db upgrade" in result.output


def test_bad_database_url_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A DATABASE_URL that is not a URL gives a one-line error and exit 2."""
    monkeypatch.setenv("DATABASE_URL", "not a url")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2
    assert "DATABASE_URL is not a database URL" in result.output


def test_parse_duration_units() -> None:
    """Durations accept d, h, w, m and bare days."""
    assert parse_duration("180d") == timedelta(days=180)
    assert parse_duration("12h") == timedelta(hours=12)
    assert parse_duration("2w") == timedelta(weeks=2)
    assert parse_duration("30m") == timedelta(minutes=30)
    assert parse_duration("7") == timedelta(days=7)


def test_count_helper_sees_rows(db_url: str) -> None:
    """The seeded database really holds three incidents (guards the purge tests' baseline)."""
    _seed(db_url)
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 3
    engine.dispose()
