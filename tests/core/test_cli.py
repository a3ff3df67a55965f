"""The `mirage` command line: check, scan (the evaluation contract), eval and rules lint."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from bot.cli.main import app

from .conftest import RULES

runner = CliRunner()


def _mirage(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, timeout=120)


def test_check_fires_fm16_and_shows_the_questions() -> None:
    """`mirage check` on the seed sentence names FM-16, the triggers and the card's questions."""
    result = runner.invoke(app, ["check", "It scored highest on MMLU, so it should be the best choice."])
    assert result.exit_code == 0
    assert "FM-16 The Benchmark Mirage" in result.output
    assert "scored highest on + MMLU" in result.output
    assert "Which of our real user tasks did we try it on" in result.output
    assert "Why this? It matched: *scored highest on* + *MMLU*" in result.output


def test_check_question_does_not_fire() -> None:
    """A question about a benchmark is not a claim."""
    result = runner.invoke(app, ["check", "Which model scored highest on MMLU?"])
    assert result.exit_code == 0
    assert result.output.startswith("No claim")


def test_check_json_with_context() -> None:
    """--json gives the scan record plus reason; --context with user evidence suppresses the claim."""
    result = runner.invoke(
        app, ["check", "--json", "-c", "the A/B test showed +5% task completion", "it tops MMLU, let's switch"]
    )
    record = json.loads(result.output)
    assert record["fired"] is False and "earlier in the thread" in record["reason"]


def test_scan_answers_every_line_in_order_even_bad_ones() -> None:
    """scan writes exactly one JSON verdict per input line, in order, whatever the line holds."""
    lines = [
        json.dumps({"text": "It scored highest on MMLU, so it should be the best choice."}),
        json.dumps({"text": "Which model scored highest on MMLU?"}),
        "The benchmark is up 4 points, so we are clearly better.",
        "",
        json.dumps({"no_text": 1}),
        json.dumps([1, 2]),
        json.dumps("Claude beats GPT-4o on SWE-bench Verified, let's switch."),  # a JSON string
        # a lone surrogate (valid JSON, no valid UTF-8) in a claim and beside a benchmark name
        json.dumps({"text": "It scored highest on MMLU \ud800, so it should be the best choice."}),
        json.dumps({"text": "\udfff MMLU best"}),
    ]
    stdin = ("\n".join(lines) + "\n").encode() + b"\xff\xfe invalid utf-8 MMLU\n" + ("x" * 40_000).encode() + b"\n"
    result = _mirage("scan", stdin=stdin)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(out) == len(lines) + 2
    assert [o["fired"] for o in out] == [True, False, True, False, False, False, True, True, False, False, False]
    assert out[0]["pattern"] == "FM-16" and 0.6 <= out[0]["confidence"] <= 1.0
    assert out[0]["triggers"][:2] == ["scored highest on", "MMLU"]
    assert out[2]["pattern"] == "RF-39"
    assert all(set(o) == {"fired", "pattern", "confidence", "triggers", "tier"} for o in out)
    assert [o["tier"] == "reply" for o in out] == [o["fired"] for o in out]
    assert b'line 5: no "text" string' in result.stderr


def _write_jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_eval_reports_scores_and_honours_the_bar(tmp_path: Path) -> None:
    """eval prints precision/recall per card and per kind, lists errors, and exits 1 below the bar."""
    data = _write_jsonl(tmp_path / "set.jsonl", [
        {"text": "It scored highest on MMLU, so it should be the best choice.", "label": "claim", "pattern": "FM-16"},
        {"text": "The benchmark is up 4 points, so we are clearly better.", "label": "claim", "pattern": "RF-39"},
        {"text": "v7 is just better, trust me", "label": "claim", "pattern": "FM-16", "kind": "selection"},
        {"text": "Which model scored highest on MMLU?", "label": "no_claim", "kind": "question"},
    ])
    result = runner.invoke(app, ["eval", str(data), "--errors"])
    assert result.exit_code == 0
    assert "precision 1.000  recall 0.667" in result.output
    assert "[missed; selection] v7 is just better, trust me" in result.output
    assert "question" in result.output
    below = runner.invoke(app, ["eval", str(data), "--min-recall", "0.9"])
    assert below.exit_code == 1
    as_json = json.loads(runner.invoke(app, ["eval", str(data), "--json"]).output)
    assert as_json["overall"]["tp"] == 2 and as_json["per_card"]["RF-39"]["recall"] == 1.0


def test_eval_rejects_a_malformed_file(tmp_path: Path) -> None:
    """A line without a valid label is a clear error naming the line, exit 2."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "hi", "label": "maybe"}\n')
    result = runner.invoke(app, ["eval", str(bad)])
    assert result.exit_code == 2
    assert "bad.jsonl:1" in result.output


def test_rules_lint_passes_on_shipped_rules() -> None:
    result = runner.invoke(app, ["rules", "lint", str(RULES)])
    assert result.exit_code == 0 and "all good" in result.output


def test_rules_lint_reports_file_key_problem_without_traceback(tmp_path: Path) -> None:
    """A broken card gives `file: key: problem` lines and a non-zero exit, never a traceback."""
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    card = rules / "FM-16.yaml"
    card.write_text(card.read_text().replace("severity: high", "severity: apocalyptic"))
    result = _mirage("rules", "lint", str(rules))
    assert result.returncode != 0
    assert f"{card}: severity: ".encode() in result.stderr
    assert b"Traceback" not in result.stderr


def test_rules_lint_reports_a_failing_example(tmp_path: Path) -> None:
    """A card whose own match example no longer fires is reported by file and example index."""
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    card = rules / "RF-39.yaml"
    card.write_text(card.read_text().replace("  match:\n", "  match:\n    - Lunch is at noon today.\n", 1))
    result = runner.invoke(app, ["rules", "lint", str(rules)])
    assert result.exit_code == 1
    assert f"{card}: examples.match[0]: does not fire RF-39" in result.output


def test_rules_stats_shows_what_fires_on_claims_and_what_never_fires(tmp_path: Path) -> None:
    """`mirage rules stats FILE` counts each matched phrase on claims and on other lines, and lists silent ones."""
    data = _write_jsonl(tmp_path / "set.jsonl", [
        {"text": "It scored highest on MMLU, so it should be the best choice.", "label": "claim", "pattern": "FM-16"},
        {"text": "Which model scored highest on MMLU?", "label": "no_claim", "kind": "question"},
    ])
    result = runner.invoke(app, ["rules", "stats", str(data), "--silent"])
    assert result.exit_code == 0, result.output
    assert "     2      0  benchmarks / BENCHMARKS: mmlu" not in result.output  # one claim, one question
    assert "     1      1  benchmarks / BENCHMARKS: mmlu" in result.output
    assert "literal phrases never did" in result.output and "  never: " in result.output
