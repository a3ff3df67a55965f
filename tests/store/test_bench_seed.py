"""The digest benchmark's bulk seeding writes rows the store reads exactly like its own (both databases)."""

from __future__ import annotations

from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.bench.digest import WORKSPACE, Seed, seed_postgres, seed_sqlite
from bot.cli.main import app
from bot.store.digest_queries import load_digest_input
from bot.store.engine import session_scope
from bot.week import IsoWeek

SEED = Seed(incidents=3_000, channels=4, weeks=4, last_week=IsoWeek(2026, 47))


def _expected_this_week() -> int:
    week = SEED.last_week
    return sum(1 for row in SEED.incident_rows() if week.start <= row[-1] < week.end)


def test_bulk_seeded_data_reads_the_same_on_both_databases(sqlite_engine: Engine, pg_engine: Engine) -> None:
    """Raw executemany (SQLite) and COPY (PostgreSQL) rows give identical digest inputs with the expected counts."""
    assert seed_sqlite(sqlite_engine, SEED) == seed_postgres(pg_engine, SEED)
    with session_scope(sqlite_engine) as s:
        on_sqlite = load_digest_input(s, WORKSPACE, SEED.last_week)
    with session_scope(pg_engine) as s:
        on_postgres = load_digest_input(s, WORKSPACE, SEED.last_week)
    assert on_sqlite == on_postgres
    assert sum(c.this_week for c in on_sqlite.claims) == _expected_this_week()
    assert sum(c.previous_week for c in on_sqlite.claims) > 0
    per_card: dict[str, int] = {}
    for c in on_sqlite.claims:
        per_card[c.card_id] = per_card.get(c.card_id, 0) + c.this_week
    assert len(on_sqlite.examples) == sum(min(5, n) for n in per_card.values())  # the best 5 of each card
    assert {b.channel_id for b in on_sqlite.balance} == {f"C{c:04d}" for c in range(4)}
    assert sum(f.count for f in on_sqlite.feedback) > 0


def test_bench_digest_command_prints_rates_and_times() -> None:
    """`mirage bench digest --no-postgres` on a small count prints the insert rate and the build time."""
    result = CliRunner().invoke(app, ["bench", "digest", "--incidents", "2000", "--channels", "3", "--weeks", "3",
                                      "--no-postgres"])
    assert result.exit_code == 0, result.output
    assert "rows/s" in result.output
    assert "load_digest_input" in result.output and "[OK" in result.output
