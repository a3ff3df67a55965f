"""`mirage digest`: text/json/blocks from a real SQLite file, sensible defaults, clear errors, and --post."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.cli.main import app
from bot.store.engine import make_engine
from bot.week import IsoWeek

from .seed import seed

runner = CliRunner()


@pytest.fixture
def db(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """A migrated SQLite file with one workspace (T1) and a known week; DATABASE_URL points at it."""
    seed(sqlite_engine)
    monkeypatch.setenv("DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    return sqlite_engine


def test_text_digest_of_the_only_workspace(db: Engine) -> None:
    """Without --workspace the only workspace is used; the text shows totals, cards, shadow counts and examples."""
    result = runner.invoke(app, ["digest", "--week", "2026-W47"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Mirage weekly digest — 2026-W47" in out
    assert "3 benchmark-only claims (+2 vs last week)" in out
    assert "FM-16 The Benchmark Mirage: 2 (+1)" in out
    assert "would have replied 1 time" in out
    assert "&lt;@U9&gt;" in out and "<@U9>" not in out


def test_json_and_blocks_formats(db: Engine) -> None:
    """--format json is the stable JSON digest; --format blocks is the Block Kit list that would be posted."""
    as_json = runner.invoke(app, ["digest", "--week", "2026-W47", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert (data["workspace_id"], data["week"], data["totals"]["this_week"]) == ("T1", "2026-W47", 3)
    as_blocks = runner.invoke(app, ["digest", "--week", "2026W47", "--format", "blocks"])
    assert as_blocks.exit_code == 0, as_blocks.output
    blocks = json.loads(as_blocks.stdout)
    assert blocks[0]["type"] == "header" and len(blocks) <= 50


def test_default_week_is_the_last_complete_one(db: Engine) -> None:
    """Without --week the digest covers the last complete ISO week."""
    result = runner.invoke(app, ["digest", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["week"] == str(IsoWeek.of(datetime.now(UTC)).previous())


@pytest.mark.parametrize("week", ["2026-47", "last week", "2026-W60"])
def test_malformed_week_is_a_clear_error(db: Engine, week: str) -> None:
    """A bad --week exits 2 with a message naming the expected form, never a traceback."""
    result = runner.invoke(app, ["digest", "--week", week])
    assert result.exit_code == 2
    assert "--week" in result.stderr and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_several_workspaces_need_a_choice(db: Engine) -> None:
    """With two workspaces and no --workspace the command lists them and exits 2; --workspace picks one."""
    seed(db, channels=(), workspace="T2")
    result = runner.invoke(app, ["digest", "--week", "2026-W47"])
    assert result.exit_code == 2
    assert "--workspace" in result.stderr and "T1 (newest 2026-W47), T2 (newest 2026-W47)" in result.stderr
    picked = runner.invoke(app, ["digest", "--week", "2026-W47", "--workspace", "T2", "--format", "json"])
    assert picked.exit_code == 0 and json.loads(picked.stdout)["workspace_id"] == "T2"


def test_unknown_workspace_is_an_error_listing_the_known_ones(db: Engine) -> None:
    """A workspace the database does not hold is a typo, not a quiet week: exit 2, naming what is there."""
    result = runner.invoke(app, ["digest", "--week", "2026-W47", "--workspace", "T404"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "no workspace T404 in this database; it has: T1 (newest 2026-W47)" in result.stderr


def test_missing_or_unmigrated_database_is_a_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No database file: exit 1 and say so (without creating one); a file without tables: exit 1 with a hint."""
    missing = tmp_path / "none.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{missing}")
    result = runner.invoke(app, ["digest"])
    assert result.exit_code == 1 and "no database at" in result.stderr and not missing.exists()
    empty = tmp_path / "empty.db"
    make_engine(f"sqlite:///{empty}").connect().close()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{empty}")
    result = runner.invoke(app, ["digest"])
    assert result.exit_code == 1 and "mirage db upgrade" in result.stderr
    assert "Traceback" not in result.output


def test_empty_database_says_there_is_nothing_yet(sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A migrated but empty database has no workspace to pick: a clear message, exit 1."""
    monkeypatch.setenv("DATABASE_URL", sqlite_engine.url.render_as_string(hide_password=False))
    result = runner.invoke(app, ["digest"])
    assert result.exit_code == 1 and "no data yet" in result.stderr


def test_post_needs_a_token(db: Engine) -> None:
    """--post without SLACK_BOT_TOKEN exits 2 and names the variable."""
    result = runner.invoke(app, ["digest", "--week", "2026-W47", "--post", "C1"])
    assert result.exit_code == 2 and "SLACK_BOT_TOKEN" in result.stderr


def test_post_sends_blocks_and_text_to_slack(
    db: Engine, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--post calls chat.postMessage on SLACK_API_URL with the bot token, the blocks and a summary text."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", httpserver.url_for("/api/"))
    httpserver.expect_request("/api/chat.postMessage", method="POST").respond_with_json(
        {"ok": True, "channel": "C9", "ts": "1763900000.000100"}
    )
    result = runner.invoke(app, ["digest", "--week", "2026-W47", "--post", "C9"])
    assert result.exit_code == 0, result.output
    assert "Posted the 2026-W47 digest of T1 to C9" in result.stdout
    (request, _), = httpserver.log
    assert request.headers["Authorization"] == "Bearer xoxb-test"
    body = request.get_json()
    assert body["channel"] == "C9" and body["text"].startswith("Mirage digest 2026-W47: 3 benchmark-only claims")
    assert body["blocks"][0]["type"] == "header"


def test_post_reports_slack_errors_clearly(db: Engine, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Slack error response becomes a one-line message and exit 1."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", httpserver.url_for("/api/"))
    httpserver.expect_request("/api/chat.postMessage").respond_with_json({"ok": False, "error": "channel_not_found"})
    result = runner.invoke(app, ["digest", "--week", "2026-W47", "--post", "C404"])
    assert result.exit_code == 1
    assert "channel_not_found" in result.stderr and "Traceback" not in result.output


def test_post_twice_posts_once_and_shares_the_schedulers_claim(
    db: Engine, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--post` claims the channel-week like the scheduler: a second `--post` (or the scheduler) sends nothing."""
    from bot.store.digest_runs import claim_digest_run, digest_run
    from bot.store.engine import session_scope

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", httpserver.url_for("/api/"))
    httpserver.expect_request("/api/chat.postMessage", method="POST").respond_with_json(
        {"ok": True, "channel": "C9", "ts": "1763900000.000100"}
    )
    first = runner.invoke(app, ["digest", "--week", "2026-W47", "--post", "C9"])
    second = runner.invoke(app, ["digest", "--week", "2026-W47", "--post", "C9"])
    assert first.exit_code == 0, first.output
    assert second.exit_code == 1 and "already posted" in second.stderr
    assert len(httpserver.log) == 1
    with session_scope(db) as s:
        run = digest_run(s, "T1", "C9", IsoWeek(2026, 47))
        assert run is not None and run.status == "posted"
        assert claim_digest_run(s, "T1", "C9", IsoWeek(2026, 47)) is False


def test_post_to_a_channel_mirage_is_not_in_says_invite(
    db: Engine, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """not_in_channel from Slack: exit 1 with the fix (`/invite @Mirage` there), not just Slack's code."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_URL", httpserver.url_for("/api/"))
    httpserver.expect_request("/api/chat.postMessage").respond_with_json({"ok": False, "error": "not_in_channel"})
    result = runner.invoke(app, ["digest", "--week", "2026-W47", "--post", "C0OUT"])
    assert result.exit_code == 1
    assert "not_in_channel; Mirage is not a member of C0OUT" in result.stderr and "/invite @Mirage" in result.stderr
