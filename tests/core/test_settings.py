"""Settings fail well: every value checked in Settings, built once per command, a bad one is one line naming it."""

from __future__ import annotations

import pytest
import typer
from pydantic import ValidationError
from typer.testing import CliRunner

from bot.cli.context import current_settings, settings_callback
from bot.cli.main import app
from bot.settings import Settings, settings_problem

runner = CliRunner()


def _settings(**env: str) -> Settings:
    return Settings(_env_file=None, **env)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("DIGEST_HOUR", "99", "less than or equal to 23"),
        ("DIGEST_MINUTE", "-1", "greater than or equal to 0"),
        ("DIGEST_TZ", "Mars/Olympus", "not a time zone"),
        ("DIGEST_DAY_OF_WEEK", "someday", "not a weekday"),
        ("COOLDOWN_MINUTES", "soon", "valid integer"),
        ("HTTP_PORT", "70000", "less than or equal to 65535"),
        ("LOG_LEVEL", "chatty", "not a log level"),
        ("RETENTION_DAYS", "0", "greater than or equal to 1"),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    """Any command with a bad setting exits 2 with `mirage: bad setting: VAR=value: why`, and no traceback."""
    monkeypatch.setenv(variable, value)
    result = runner.invoke(app, ["check", "hello"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"mirage: bad setting: {variable}={value}: ")
    assert says in lines[0]
    assert "Traceback" not in result.output + result.stderr


def test_help_works_whatever_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """`mirage run --help` still answers with a bad setting in the environment (the error comes when it runs)."""
    monkeypatch.setenv("DIGEST_HOUR", "99")
    result = runner.invoke(app, ["run", "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_secrets_are_never_echoed() -> None:
    """A problem with a token names the variable but never prints the value."""
    try:
        Settings(_env_file=None, slack_bot_token=["xoxb-secret"])  # type: ignore[call-arg, arg-type]
    except ValidationError as exc:
        line = settings_problem(exc)
    else:
        raise AssertionError("a list is not a token")
    assert line.startswith("SLACK_BOT_TOKEN: ") and "xoxb-secret" not in line


def test_values_are_normalised() -> None:
    """Weekdays in any spelling become mon..sun, log levels upper case, the time zone a real IANA name."""
    s = _settings(digest_day_of_week="Monday", log_level="debug", digest_tz=" Europe/Berlin ")
    assert (s.digest_day_of_week, s.log_level, s.digest_tz) == ("mon", "DEBUG", "Europe/Berlin")
    assert _settings(digest_day_of_week="6").digest_day_of_week == "sun"


def test_settings_are_built_once_per_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """Everything a command asks for shares one Settings, built from the environment of that invocation."""
    seen: list[Settings] = []
    probe = typer.Typer(callback=settings_callback)

    @probe.command()
    def show() -> None:
        seen.extend([current_settings(), current_settings()])

    @probe.command()
    def other() -> None:
        seen.append(current_settings())

    monkeypatch.setenv("DIGEST_HOUR", "7")
    assert runner.invoke(probe, ["show"]).exit_code == 0
    monkeypatch.setenv("DIGEST_HOUR", "8")
    assert runner.invoke(probe, ["other"]).exit_code == 0
    assert seen[0] is seen[1]
    assert [s.digest_hour for s in seen] == [7, 7, 8]
