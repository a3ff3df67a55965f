"""`mirage replay export.zip && mirage digest --week W` on a store that also holds console data: the workspace is
found without ids, channels are named, and a default week with no data says where the data is."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app

from .builder import TEAM, sample_export

runner = CliRunner()
CLAIM = "It scored highest on MMLU, so it should be the best choice."


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """DATABASE_URL on a SQLite file that already holds a console session with one claim (this week)."""
    db = tmp_path / "mirage.db"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"):
        monkeypatch.setenv(name, "")
    assert runner.invoke(app, ["run"], input=CLAIM + "\n").exit_code == 0
    return db


def test_replay_then_digest_of_a_replayed_week_names_channels(store: Path, tmp_path: Path) -> None:
    """No --workspace anywhere: replay stores under the export's team, and the digest of a replayed week picks the
    only workspace with data that week and names its channels (#ml-research, not C1)."""
    export = sample_export().write_zip(tmp_path / "Acme Slack export Mar 1 2024 - Mar 9 2024.zip")
    replayed = runner.invoke(app, ["replay", str(export)])
    assert replayed.exit_code == 0, replayed.output
    result = runner.invoke(app, ["digest", "--week", "2024-W10"])
    assert result.exit_code == 0, result.output
    assert "#ml-research:" in result.stdout and "<#C1>" not in result.stdout
    assert result.stdout.startswith("Mirage weekly digest — Acme — 2024-W10 (Mar 4 – 10, 2024)")
    assert f"Acme ({TEAM}) is the only workspace with data in 2024-W10" in result.stderr
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT name FROM workspace_names WHERE workspace_id = ?", (TEAM,)).fetchone() == ("Acme",)
        assert ("C2", "general") in db.execute("SELECT channel_id, name FROM channel_names").fetchall()
    picked = runner.invoke(app, ["digest", "--week", "2024-W10", "--workspace", "acme", "--format", "json"])
    assert picked.exit_code == 0 and json.loads(picked.stdout)["workspace_id"] == TEAM


def test_several_workspaces_with_data_are_listed_by_name(store: Path, tmp_path: Path) -> None:
    """When the week has no data, the choice lists every workspace by name, id and newest week."""
    export = sample_export().write_zip(tmp_path / "Acme Slack export Mar 2024.zip")
    assert runner.invoke(app, ["replay", str(export)]).exit_code == 0
    result = runner.invoke(app, ["digest", "--week", "2020-W01"])
    assert result.exit_code == 2
    assert f"Acme ({TEAM}, newest 2024-W14)" in result.stderr and "console (newest " in result.stderr


def test_default_week_without_data_says_where_the_data_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store holding only an old replay: `mirage digest` shows the quiet last week and points to the data."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'only-replay.db'}")
    assert runner.invoke(app, ["replay", str(sample_export().write_folder(tmp_path / "e"))]).exit_code == 0
    result = runner.invoke(app, ["digest"])
    assert result.exit_code == 0, result.output
    assert "the last complete week" in result.stderr
    assert "the newest data is in 2024-W14 (Apr 1 – 7, 2024): `mirage digest --week 2024-W14`" in result.stderr


def test_replay_without_a_team_id_uses_the_only_live_workspace(store: Path, tmp_path: Path) -> None:
    """An export without users.json goes to the one Slack workspace already in the store (console aside)."""
    first = sample_export().write_folder(tmp_path / "with-team")
    assert runner.invoke(app, ["replay", str(first)]).exit_code == 0
    bare = sample_export()
    bare.users = []
    path = bare.write_folder(tmp_path / "no-team")
    result = runner.invoke(app, ["replay", str(path), "--report", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["workspace_id"] == TEAM
