"""`mirage run` without Slack tokens: a terminal chat over the same services, driven by piped lines."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import col, select
from typer.testing import CliRunner

from bot.bench.support.slack_double import SlackDouble, api_error
from bot.cli.main import app
from bot.console.chat import readable
from bot.store.engine import make_engine, session_scope
from bot.store.models import Feedback, Incident

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


THREE_CLAIMS = [
    CLAIM,
    "Claude beats GPT-4o on SWE-bench Verified, let's switch to it.",
    "The eval is up 4 points, so we're clearly better than before.",
]


def test_console_answers_three_claims_in_a_row_and_says_what_slack_would_hold(tmp_path: Path) -> None:
    """No cooldown or cap in the console: three claims get three replies, and each held-in-Slack one is named."""
    code, output, db = run_console(tmp_path, THREE_CLAIMS)
    assert code == 0, output
    assert output.count("mirage (in the thread):") == 3
    assert output.count("(in Slack this reply would have been held back: channel cooldown") == 2
    assert "stays quiet" not in output
    with session_scope(make_engine(f"sqlite:///{db}")) as s:
        assert [i.action for i in s.exec(select(Incident)).all()] == ["reply", "reply", "reply"]


def test_console_limits_on_applies_slacks_cooldown(tmp_path: Path) -> None:
    """`/limits on` asks for Slack's limits: the second claim is then only logged, with the cooldown as reason."""
    code, output, _ = run_console(tmp_path, ["/limits on", *THREE_CLAIMS[:2]])
    assert code == 0, output
    assert "limits on, as in Slack: a 30-minute channel cooldown" in output
    assert output.count("mirage (in the thread):") == 1
    assert "(mirage noticed a claim but stays quiet: channel cooldown" in output


def test_console_shows_slack_markup_readably(tmp_path: Path) -> None:
    """Mentions and channels read as @you and #console in the terminal, not as <@you> or <#console>."""
    code, output, _ = run_console(tmp_path, ["/mirage stats", "/mirage mode shadow"])
    assert code == 0, output
    assert "(#console)" in output and "@you set Mirage to *shadow*" in output
    assert "<#" not in output and "<@" not in output


def test_readable_markup_forms() -> None:
    """Labels win over ids; links keep their address; escaped user text stays text, never markup."""
    text = "<#C1|general> <@U1> <!here> <https://x.io|docs> <https://y.io> a &lt;@U2&gt; b &amp; c"
    assert readable(text) == "#general @U1 @here docs (https://x.io) https://y.io a <@U2> b & c"


def test_console_takes_bytes_that_are_not_utf8_and_a_nul(tmp_path: Path) -> None:
    """The real `mirage run` reads a line of bytes that are not UTF-8 (they arrive as lone surrogates) and a NUL:
    the claim on that line is answered and stored with U+FFFD, and the next line is still answered."""
    db = tmp_path / "console.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "SLACK_BOT_TOKEN": "", "SLACK_APP_TOKEN": "",
           "LOG_LEVEL": "WARNING", "PYTHONIOENCODING": "utf-8:surrogateescape"}
    stdin = b"\xff\xfe it tops MMLU\x00 so it is the best choice, ship it\n" + CLAIM.encode() + b"\n/quit\n"
    result = subprocess.run([sys.executable, "-m", "bot", "run"], input=stdin, capture_output=True, env=env,
                            timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert result.stdout.decode().count("mirage (in the thread):") == 2
    with session_scope(make_engine(f"sqlite:///{db}")) as s:
        excerpts = [i.excerpt for i in s.exec(select(Incident).order_by(col(Incident.id))).all()]
    assert len(excerpts) == 2 and excerpts[0].startswith("\ufffd\ufffd it tops MMLU\ufffd so")
