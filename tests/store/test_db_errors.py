"""Database failures on the command line: one line, the password masked, the hint that fits the cause."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from bot.bench.support.pgserver import free_port
from bot.cli.dberrors import hide_password, hint_for
from bot.cli.main import app

from ..pg import PgServer

runner = CliRunner()
COMMANDS = [["run", "--console"], ["digest"], ["db", "status"], ["db", "upgrade"], ["purge", "--user", "U1"]]


def _one_line(result_stderr: str) -> str:
    lines = result_stderr.strip().splitlines()
    assert len(lines) == 1, result_stderr
    return lines[0]


@pytest.mark.parametrize("argv", COMMANDS, ids=" ".join)
def test_unreachable_server_is_one_masked_line_with_the_server_hint(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Nothing listening on the port: one line, `***` for the password, "is the server running", no db upgrade."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://mirage:s3cret-pw@127.0.0.1:{free_port()}/mirage")
    result = runner.invoke(app, argv, input="")
    assert result.exit_code == 1, result.output
    line = _one_line(result.stderr)
    assert "s3cret-pw" not in result.output + result.stderr
    assert "mirage:***@127.0.0.1" in line
    assert "is the database server running" in line
    assert "mirage db upgrade" not in line and "Background on this error" not in line


@pytest.mark.postgres
def test_missing_database_says_create_it(pg: PgServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A real server without that database: the hint is to create the database, not to migrate."""
    monkeypatch.chdir(tmp_path)
    url = make_url(pg.admin_url).set(database="no_such_db_here", password="pw-hidden")
    monkeypatch.setenv("DATABASE_URL", url.render_as_string(hide_password=False))
    result = runner.invoke(app, ["digest"])
    assert result.exit_code == 1
    line = _one_line(result.stderr)
    assert "create that database first" in line and "pw-hidden" not in line


def test_unmigrated_sqlite_says_db_upgrade(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A SQLite file without Mirage's tables: the hint is `mirage db upgrade`."""
    monkeypatch.chdir(tmp_path)
    with sqlite3.connect(tmp_path / "other.db") as db:
        db.execute("CREATE TABLE unrelated (a INTEGER)")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    result = runner.invoke(app, ["digest"])
    assert result.exit_code == 1
    line = _one_line(result.stderr)
    assert "no such table" in line and "run `mirage db upgrade`" in line


@pytest.mark.parametrize(
    ("driver_says", "hint"),
    [
        ('connection to server at "db", port 5432 failed: FATAL:  password authentication failed for user "m"',
         "check the user and password"),
        ('connection to server at "db", port 5432 failed: FATAL:  database "mirage" does not exist',
         "create that database first"),
        ('[Errno -2] could not translate host name "dbx" to address: Name or service not known',
         "is the database server running"),
        ('relation "incidents" does not exist', "mirage db upgrade"),
        ("unable to open database file", "writable"),
    ],
)
def test_each_cause_gets_its_own_hint(driver_says: str, hint: str) -> None:
    """Authentication, a missing database, an unknown host, a missing table, an unwritable file: each its hint."""
    found = hint_for(driver_says)
    assert found is not None and hint in found


@pytest.mark.parametrize("user_and_password", ["postgres:postgres", "u:p", "mirage:sql"])
def test_a_password_found_inside_other_words_leaves_them_whole(
    user_and_password: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A short or common password ("postgres", "p", "sql") is masked in the URL only: the scheme, the user, the
    database and the driver's words ("port", "postgresql") are shown as they are."""
    monkeypatch.chdir(tmp_path)
    user = user_and_password.split(":")[0]
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://{user_and_password}@127.0.0.1:{free_port()}/postgres")
    result = runner.invoke(app, ["digest"], input="")
    assert result.exit_code == 1, result.output
    line = _one_line(result.stderr)
    assert f"postgresql+psycopg://{user}:***@127.0.0.1:" in line and "/postgres:" in line
    assert "port" in line and "is the database server running" in line


@pytest.mark.parametrize(("said", "shown"), [
    ('password authentication failed for user "app"; password=hunter2x', 'for user "app"; password=***'),
    ("could not connect to postgresql://app:hunter2x@db:5432/app", "postgresql://app:***@db:5432/app"),
    ("the driver echoed hunter2x, then gave up", "the driver echoed ***, then gave up"),
    ("hunter2xy is another word", "hunter2xy is another word"),
])
def test_the_drivers_words_never_show_the_password(said: str, shown: str) -> None:
    """In what the driver said, the password is hidden as a `password=` pair, inside a URL and as a word of its
    own; a longer word that only starts with it is not the password."""
    assert shown in hide_password(said, "postgresql+psycopg://app:hunter2x@db/app")
