"""`mirage run` without Slack tokens: a terminal chat over the same services, driven by piped lines."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select
from typer.testing import CliRunner

from bot.cli.main import app
from bot.store.engine import make_engine, session_scope
from bot.store.models import Feedback, Incident

from .double import SlackDouble, api_error

CLAIM = "It scored highest on MMLU, so it should be the best choice."


def run_console(tmp_path: Path, lines: list[str]) -> tuple[int, str, Path]:
    db = tmp_path / "console.db"
    env = {"DATABASE_URL": f"sqlite:///{db}", "SLACK_BOT_TOKEN": "", "SLACK_APP_TOKEN": "", "LOG_LEVEL": "WARNING"}
    result = CliRunner().invoke(app, ["run"], input="\n".join(lines) + "\n", env=env)
    return result.exit_code, result.output, db


def test_console_replies_to_a_claim_and_stores_it(tmp_path: Path) -> None:
    """A piped claim gets Mirage's reply as text; the SQLite store (migrated at start) keeps the incident."""
    code, output, db = run_console(tmp_path, ["lunch at noon?", CLAIM])
    assert code == 0, output
    assert "mirage (in the thread):" in output
    assert "First move:" in output and "Why this? It matched:" in output
    assert output.count("mirage (") == 1  # the non-claim got nothing
    with session_scope(make_engine(f"sqlite:///{db}")) as s:
        [incident] = s.exec(select(Incident)).all()
    assert (incident.card_id, incident.source, incident.action) == ("FM-16", "console", "reply")


def test_console_thread_with_evidence_and_repeat_claims(tmp_path: Path) -> None:
    """'> text' replies in the thread: user evidence earlier in it means no reply; a repeat claim is only logged."""
    evidence = "We ran a two-week A/B test on real support tickets and customers resolved 20% more tickets with Claude."
    code, output, _ = run_console(tmp_path, [
        evidence, "> Claude beats GPT-4o on SWE-bench Verified, let's switch.",
        CLAIM, "> " + CLAIM.replace("MMLU", "GPQA"),
    ])
    assert code == 0, output
    assert output.count("mirage (in the thread):") == 1
    assert "(mirage noticed a claim but stays quiet: already asked about FM-16 in this thread)" in output


def test_console_commands_and_feedback(tmp_path: Path) -> None:
    """/mirage works in the console, unknown input gets help, and /feedback stores a verdict."""
    code, output, db = run_console(tmp_path, [
        "/mirage list", "/mirage search scoring", "/mirage frobnicate", CLAIM, "/feedback not_relevant",
        "/quit", "never read",
    ])
    assert code == 0, output
    assert "FM-16" in output and "RF-39" in output
    assert "I don't know `frobnicate`" in output
    assert "mirage: Thanks for the feedback" in output
    with session_scope(make_engine(f"sqlite:///{db}")) as s:
        [feedback] = s.exec(select(Feedback)).all()
    assert (feedback.user_id, feedback.verdict) == ("you", "not_relevant")


def test_http_mode_without_tokens_is_a_clear_error(tmp_path: Path) -> None:
    """`mirage run --http` without Slack tokens exits 2 with a one-line reason, no traceback."""
    result = CliRunner().invoke(app, ["run", "--http"], env={"SLACK_BOT_TOKEN": "",
                                                             "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert result.exit_code == 2
    assert "--http needs SLACK_BOT_TOKEN" in result.output
    assert "Traceback" not in result.output


def test_run_with_slack_unreachable_says_so_without_a_traceback(tmp_path: Path, slack: SlackDouble) -> None:
    """When auth.test fails at start (here: an invalid token), `mirage run --http` exits 1 with one clear line."""
    slack.script("auth.test", api_error("invalid_auth"))
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}", "SLACK_BOT_TOKEN": "xoxb-bad", "SLACK_APP_TOKEN": "",
           "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": slack.api_url, "LOG_LEVEL": "CRITICAL"}
    result = CliRunner().invoke(app, ["run", "--http", "--port", "0"], env=env)
    assert result.exit_code == 1
    assert "cannot start the Slack app" in result.output and "invalid_auth" in result.output
    assert "Traceback" not in result.output
