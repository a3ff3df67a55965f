"""The labelled dev set (tests/data/dev.jsonl) is well-formed and balanced, and the shipped detector scores well on it.

The set was written blind (without reading the detector's rules), so it measures how the detector generalises to
realistic Slack messages: benchmark-only claims (FM-16, RF-39) against hard negatives of many kinds.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.catalog import load_catalog
from bot.detection import Detector
from bot.detection.evaluate import Labelled, Outcome, Report, score
from bot.settings import default_rules_dir

DEV_SET = Path(__file__).resolve().parents[1] / "data" / "dev.jsonl"
CARDS = {"FM-16", "RF-39"}
NEGATIVE_KINDS = {
    "question",
    "skeptical",
    "user_evidence",
    "systems",
    "neutral",
    "quoted",
    "code",
    "joke",
    "sports",
    "chatter",
}
MIN_PRECISION = 0.95
MIN_RECALL = 0.90


def _rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(DEV_SET.read_text(encoding="utf-8").splitlines(), start=1):
        assert line.strip(), f"dev.jsonl:{number}: blank line"
        row = json.loads(line)
        assert isinstance(row, dict), f"dev.jsonl:{number}: not a JSON object"
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    return _rows()


@pytest.fixture(scope="module")
def report(rows: list[dict[str, Any]]) -> Report:
    detector = Detector.from_catalog(load_catalog(default_rules_dir()))
    items = [Labelled(r["text"], r["label"] == "claim", r["pattern"], r["kind"]) for r in rows]
    detections = detector.detect_many(item.text for item in items)
    return score([Outcome(i, d.fired, d.card_id) for i, d in zip(items, detections, strict=True)])


def test_every_line_is_a_valid_labelled_message(rows: list[dict[str, Any]]) -> None:
    """Each line has exactly text/label/pattern/kind; claims name a card and kind "claim", negatives have no card."""
    for number, row in enumerate(rows, start=1):
        assert set(row) == {"text", "label", "pattern", "kind"}, f"line {number}: fields {sorted(row)}"
        assert isinstance(row["text"], str) and row["text"].strip(), f"line {number}: empty text"
        if row["label"] == "claim":
            assert row["pattern"] in CARDS and row["kind"] == "claim", f"line {number}: bad claim row"
        else:
            assert row["label"] == "no_claim", f"line {number}: label {row['label']!r}"
            assert row["pattern"] is None and row["kind"] in NEGATIVE_KINDS, f"line {number}: bad negative row"


def test_texts_are_unique(rows: list[dict[str, Any]]) -> None:
    """No message appears twice (compared case-insensitively, ignoring surrounding whitespace)."""
    counts = Counter(r["text"].strip().lower() for r in rows)
    assert [text for text, n in counts.items() if n > 1] == []


def test_size_and_balance(rows: list[dict[str, Any]]) -> None:
    """At least 300 lines, at least half hard negatives, both cards represented, every negative kind present."""
    assert len(rows) >= 300
    negatives = [r for r in rows if r["label"] == "no_claim"]
    assert len(negatives) * 2 >= len(rows)
    assert {r["pattern"] for r in rows if r["label"] == "claim"} == CARDS
    assert {r["kind"] for r in negatives} == NEGATIVE_KINDS


def test_detector_precision_and_recall_on_dev_set(report: Report) -> None:
    """The shipped detector reaches precision >= 0.95 and recall >= 0.90 on the dev set; failures list the errors."""
    errors = "\n".join(
        f"{'missed' if e.item.is_claim else 'false alarm'} [{e.item.kind}] {e.item.text!r}" for e in report.errors
    )
    overall = report.overall
    assert overall.precision >= MIN_PRECISION, f"precision {overall.precision:.3f}\n{errors}"
    assert overall.recall >= MIN_RECALL, f"recall {overall.recall:.3f}\n{errors}"


REGRESSION_SETS = {
    # written blind by other authors; each was measured once, then used to find general gaps (see the README).
    # The precision bar is the same for all; each recall bar sits just under what the set measures now.
    "holdout.jsonl": (0.95, 0.85),
    "blind_b.jsonl": (0.95, 0.85),
    "blind_c.jsonl": (0.95, 0.75),
    "blind_d.jsonl": (0.95, 0.75),
    "blind_e.jsonl": (0.95, 0.75),
    "blind_f.jsonl": (0.95, 0.80),
    "blind_g.jsonl": (0.95, 0.75),
    "blind_h.jsonl": (0.95, 0.80),
    "blind_i.jsonl": (0.95, 0.70),
    "blind_j.jsonl": (0.95, 0.80),
    "blind_k.jsonl": (0.95, 0.85),
}


@pytest.mark.parametrize("name", sorted(REGRESSION_SETS))
def test_detector_holds_up_on_the_regression_sets(name: str) -> None:
    """On the other labelled sets precision and recall stay at or above their set's bar."""
    min_precision, min_recall = REGRESSION_SETS[name]
    path = DEV_SET.parent / name
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        items.append(Labelled(row["text"], row["label"] == "claim", row["pattern"], row["kind"]))
    detector = Detector.from_catalog(load_catalog(default_rules_dir()))
    detections = detector.detect_many(item.text for item in items)
    overall = score([Outcome(i, d.fired, d.card_id) for i, d in zip(items, detections, strict=True)]).overall
    assert len(items) >= 250
    assert overall.precision >= min_precision, f"{name}: precision {overall.precision:.3f}"
    assert overall.recall >= min_recall, f"{name}: recall {overall.recall:.3f}"
