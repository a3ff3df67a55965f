"""A small smoke run of the multi-process events bench (`mirage bench events --web N --workers M`): the real role
processes on a throwaway PostgreSQL; the full table (`--scale 1,2,4`) stays out of the test run."""

from __future__ import annotations

import math

import pytest
from typer.testing import CliRunner

from bot.bench.scale import run_scale, table_row
from bot.cli.main import app as mirage


@pytest.mark.postgres
def test_one_web_and_one_worker_process_reply_to_every_claim_once() -> None:
    """1 web + 1 worker process at 10 events/s for 2 s: every event acknowledged, every claim replied to exactly
    once, nothing lost; the latencies and the CPU split are measured (finite, the worker did work)."""
    r = run_scale(1, 1, rate=10, seconds=2, claim_every=2, drain=60)
    assert (r.sent, r.acked, r.claims, r.replied, r.duplicates, r.lost) == (20, 20, 10, 10, 0, 0)
    assert all(math.isfinite(v) and v > 0 for v in (*r.ack_ms, *r.reply_ms, r.replies_per_s, r.intake_per_s))
    assert r.cpu_workers > 0
    assert table_row(r).startswith("| 1 + 1 | 10 |")


def test_the_bench_needs_both_kinds_of_process() -> None:
    """--web without --workers (or a --scale that is not a list of counts) is refused with a clear message."""
    result = CliRunner().invoke(mirage, ["bench", "events", "--web", "1"])
    assert result.exit_code == 2 and "--web and --workers need at least one process each" in result.output
    result = CliRunner().invoke(mirage, ["bench", "events", "--scale", "one,two"])
    assert result.exit_code == 2 and "--scale takes process counts" in result.output
