"""The replay benchmark's generated export is a real-shaped export, and `mirage bench replay` prints its numbers."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bot.bench.replay import Shape, generate_export
from bot.cli.main import app
from bot.replay.export import SlackExport


def test_generated_export_has_the_promised_shape(tmp_path: Path) -> None:
    """Every entry lands in a day file; bots, joins, threads, edits, DMs and ~3% benchmark talk are present."""
    path, size = generate_export(tmp_path / "export", Shape(messages=6_000, channels=12, days=20))
    assert size > 0
    with SlackExport.open(path) as export:
        kinds = {c.kind for c in export.conversations()}
        messages = list(export.messages())
        stats = export.stats
    assert stats.entries == 6_000
    assert kinds == {"channel", "group", "dm"}
    assert stats.bot_messages > 0 and stats.system_messages > 0 and stats.problem_count > 0
    assert sum(m.is_reply for m in messages) > 0 and sum(m.edited for m in messages) > 0
    benchmark = sum(("MMLU" in m.text or "GSM8K" in m.text or "HumanEval" in m.text) for m in messages)
    assert 0.01 < benchmark / len(messages) < 0.05


def test_generated_zip_export_reads_the_same(tmp_path: Path) -> None:
    """--zip writes the same export into one archive."""
    shape = Shape(messages=2_000, channels=5, days=7)
    folder, _ = generate_export(tmp_path / "a", shape)
    archive, _ = generate_export(tmp_path / "b", shape, as_zip=True)
    with SlackExport.open(folder) as one, SlackExport.open(archive) as two:
        assert [m.text for m in one.messages()] == [m.text for m in two.messages()]


def test_bench_replay_prints_rate_phases_memory_and_idempotence() -> None:
    """`mirage bench replay` on a small export prints msg/s, the phase split, peak memory and a clean second run."""
    result = CliRunner().invoke(app, ["bench", "replay", "--messages", "3000", "--channels", "6", "--days", "10"])
    assert result.exit_code == 0, result.output
    for label in ("messages/s", "parse", "detect", "store", "peak memory", "targets"):
        assert label in result.stdout
    assert "0 stored" in result.stdout.split("second run")[1]
