"""The small things a new team meets in its first hour: help texts, plurals, choices, unknown input, quiet logs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.logs import configure_logging
from bot.replay.export import ReadStats
from bot.replay.report import ReplayReport, plural, to_html, to_text
from bot.settings import Settings
from bot.store.engine import make_engine, upgrade_database

runner = CliRunner()


def test_flags_show_no_bool_placeholder() -> None:
    """`mirage run --help` lists --http and --console as plain flags (no `<bool>`, which reads as `--http true`)."""
    result = runner.invoke(app, ["run", "--help"])
    assert result.exit_code == 0
    assert "--http " in result.output and "<bool>" not in result.output


def test_every_option_has_help_text() -> None:
    """Every option of every command says what it does (no bare `--min-precision <float range>`)."""
    import typer.main

    group = typer.main.get_command(app)

    def walk(command: object, path: str) -> list[str]:
        missing = []
        for param in getattr(command, "params", []):
            if param.param_type_name == "option" and not getattr(param, "help", None) and "--help" not in param.opts:
                missing.append(f"{path} {param.opts[0]}")
        for name, sub in getattr(command, "commands", {}).items():
            missing += walk(sub, f"{path} {name}")
        return missing

    assert walk(group, "mirage") == []


@pytest.mark.parametrize(("argv", "says"), [
    (["digest", "--format", "xml"], "mirage: --format takes text, json or blocks, not 'xml'"),
    (["replay", "x.zip", "--report", "pdf"], "mirage: --report takes text, json or html, not 'pdf'"),
])
def test_a_bad_choice_is_one_plain_line(argv: list[str], says: str) -> None:
    """A value outside the choices gets one line naming them, not a validation library's message."""
    result = runner.invoke(app, argv)
    assert result.exit_code == 2
    assert result.stderr.strip() == says


def test_plurals() -> None:
    """One problem, two problems; one claim, 1,204 claims."""
    assert [plural(1, "problem"), plural(2, "problem"), plural(1, "claim"), plural(1204, "claim")] == [
        "1 problem", "2 problems", "1 claim", "1,204 claims"]


def test_report_without_claims_has_no_empty_typical_section() -> None:
    """A replay that found nothing shows no "The 0 most typical claims" heading, in text or HTML."""
    report = ReplayReport(export="e.zip", workspace_id="T1", dry_run=True, read=ReadStats())
    for rendered in (to_text(report), to_html(report)):
        assert "most typical" not in rendered and "0 problems" in rendered


def test_alembic_is_quiet_at_info(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """With LOG_LEVEL=INFO the per-start Alembic lines are not logged; LOG_LEVEL=DEBUG brings them back."""
    configure_logging(Settings(_env_file=None, log_level="INFO").log_level)  # type: ignore[call-arg]
    try:
        with caplog.at_level(logging.INFO):
            upgrade_database(make_engine(f"sqlite:///{tmp_path / 'a.db'}"))
        assert not [r for r in caplog.records if r.name.startswith("alembic")]
        configure_logging(Settings(_env_file=None, log_level="DEBUG").log_level)  # type: ignore[call-arg]
        with caplog.at_level(logging.INFO):
            upgrade_database(make_engine(f"sqlite:///{tmp_path / 'b.db'}"))
        assert [r for r in caplog.records if r.name.startswith("alembic")]
    finally:
        logging.getLogger("alembic").setLevel(logging.NOTSET)
