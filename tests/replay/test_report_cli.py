"""The replay report (text, JSON, HTML) and the `mirage replay` command, on built and on real-format exports."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.catalog import Catalog
from bot.cli.main import app
from bot.detection import Detector
from bot.replay.report import to_html, to_json, to_text
from bot.replay.run import ReplayOptions, replay

from .builder import CLAIMS, TEAM, ExportBuilder, msg, sample_export, ts

runner = CliRunner()


def _db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'replay.db'}"


def _count(tmp_path: Path, table: str) -> int:
    with sqlite3.connect(tmp_path / "replay.db") as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_text_report_lists_cards_channels_months_top_claims_weeks_and_problems(
    tmp_path: Path, detector: Detector, catalog: Catalog
) -> None:
    """The text report has every section, names channels, and says how to render each week's digest."""
    text = to_text(replay(sample_export().write_folder(tmp_path / "e"), detector, catalog, None, ReplayOptions()))
    assert "Claims found: 6" in text
    assert "FM-16 The Benchmark Mirage" in text and "#ml-research" in text and "2024-03" in text
    assert "most typical claims" in text and "Ünïcödé ✓" in text
    assert f"mirage digest --week 2024-W10 --workspace {TEAM}" in text
    assert "ml-research/2024-03-06.json: bad JSON" in text
    assert "parse" in text and "detect" in text and "store" in text


def test_top_claims_keep_the_20_most_confident(tmp_path: Path, detector: Detector, catalog: Catalog) -> None:
    """With more than 20 distinct claims, the report keeps 20, highest confidence first."""
    builder = ExportBuilder().channel("C1", "evals")
    weak = [msg(f"the new ckpt #{i} is +{i} on GSM8K :tada: we're clearly better now", ts("2024-05-01", 8, i))
            for i in range(1, 30)]
    strong = [msg(f"Model {i} scored highest on MMLU, so it should be the best choice.", ts("2024-05-02", 9, i))
              for i in range(3)]
    builder.day("evals", "2024-05-01", weak).day("evals", "2024-05-02", strong)
    report = replay(builder.write_folder(tmp_path / "e"), detector, catalog, None, ReplayOptions())
    top = report.top_claims()
    assert report.claims == 32 and len(top) == 20
    every = sorted((detector.detect(str(m["text"])).confidence for m in weak + strong), reverse=True)
    assert [t.confidence for t in top] == every[:20]  # the 20 most confident, in order, whichever card


def test_json_and_html_reports(tmp_path: Path, detector: Detector, catalog: Catalog) -> None:
    """JSON carries the same numbers; HTML is one self-contained page with message text escaped."""
    builder = sample_export()
    builder.day("general", "2024-04-03", [msg("<script>alert(1)</script> scored highest on MMLU, so ship it",
                                              ts("2024-04-03", 9))])
    report = replay(builder.write_folder(tmp_path / "e"), detector, catalog, None, ReplayOptions())
    data = json.loads(to_json(report))
    assert data["claims"] == CLAIMS + 1 and data["read"]["problem_count"] == 5
    assert {c["card_id"]: c["claims"] for c in data["claims_by_card"]} == {"FM-16": 6, "RF-39": 1}
    assert data["weeks"][0]["digest_command"].startswith("mirage digest --week 2024-W10")
    page = to_html(report)
    assert page.startswith("<!doctype html>") and "</html>" in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "http" not in page.split("</style>")[0]  # no external stylesheet or script


def test_cli_replays_a_zip_twice_without_duplicates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`mirage replay` stores the claims once; the second run reports them as already stored."""
    monkeypatch.setenv("DATABASE_URL", _db(tmp_path))
    path = sample_export().write_zip(tmp_path / "export.zip")
    first = runner.invoke(app, ["replay", str(path), "--report", "json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["stored"] == CLAIMS
    second = runner.invoke(app, ["replay", str(path), "--report", "json"])
    data = json.loads(second.stdout)
    assert (data["stored"], data["already_stored"]) == (0, CLAIMS)
    assert _count(tmp_path, "incidents") == CLAIMS
    assert "replay" not in second.stderr  # piped: no progress bar


def test_cli_renders_past_digests_and_writes_html(tmp_path: Path) -> None:
    """--digests appends the week's digest from the replayed store; --out writes the report to a file."""
    path = sample_export().write_folder(tmp_path / "e")
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["replay", str(path), "--database-url", _db(tmp_path), "--digests",
                                 "--report", "html", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    page = out.read_text(encoding="utf-8")
    assert "Digest 2024-W10" in page and "Mirage weekly digest — 2024-W10" in page
    assert f"DATABASE_URL={_db(tmp_path)} mirage digest --week 2024-W14" in page


def test_cli_dry_run_on_the_shared_exports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_exports: Path
) -> None:
    """Both real-format sample exports replay cleanly; --dry-run creates no database at all."""
    monkeypatch.setenv("DATABASE_URL", _db(tmp_path))
    for name, messages in [("slack-export-viewer-testarchive.zip", 52), ("slackdump-source_export.zip", 12)]:
        result = runner.invoke(app, ["replay", str(shared_exports / name), "--dry-run", "--report", "json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["read"]["messages"] == messages and data["dry_run"] is True
    assert not (tmp_path / "replay.db").exists()


def test_cli_stores_the_shared_export_balance(tmp_path: Path, shared_exports: Path) -> None:
    """Replaying the 2016 sample archive fills one balance row per channel and day with its 52 messages."""
    result = runner.invoke(app, ["replay", str(shared_exports / "slack-export-viewer-testarchive.zip"),
                                 "--database-url", _db(tmp_path), "--channels", "enrique,#traveling-sailor"])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(tmp_path / "replay.db") as db:
        assert db.execute("SELECT sum(messages) FROM daily_balance").fetchone()[0] == 52
    assert _count(tmp_path, "incidents") == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["/no/such/export.zip"], "no such file or folder"),
        (["{tmp}/notes.txt"], "neither a folder nor a .zip"),
        (["{tmp}", "--since", "2024-02-30"], "--since takes a date"),
        (["{tmp}", "--since", "2024-03-02", "--until", "2024-03-01"], "is after --until"),
        (["{export}", "--channels", "nope"], "none of nope is in this export"),
        (["{export}", "--dry-run", "--digests"], "cannot go with --dry-run"),
        (["{export}", "--database-url", "nonsense://"], "database"),
    ],
)
def test_cli_bad_input_exits_2_without_traceback(tmp_path: Path, args: list[str], says: str) -> None:
    """Missing or invalid PATH, bad dates, unknown channels, bad database URL: a one-line error, no traceback."""
    (tmp_path / "notes.txt").write_text("not an export")
    export = sample_export().write_folder(tmp_path / "export")
    argv = ["replay", *(a.format(tmp=tmp_path, export=export) for a in args)]
    result = runner.invoke(app, argv)
    assert result.exit_code in (1, 2), result.output
    assert says in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_mirage_digest_renders_a_replayed_week(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After `mirage replay`, `mirage digest --week W` (the command the report points to) shows that week's claims."""
    monkeypatch.setenv("DATABASE_URL", _db(tmp_path))
    path = sample_export().write_folder(tmp_path / "e")
    assert runner.invoke(app, ["replay", str(path)]).exit_code == 0
    result = runner.invoke(app, ["digest", "--week", "2024-W10", "--workspace", TEAM, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["week"] == "2024-W10" and data["quiet"] is False
    assert data["totals"]["this_week"] == CLAIMS - 1
