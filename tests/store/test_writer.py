"""IncidentWriter against a real PostgreSQL server that is stopped and started again, and its queue bound."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import col

from bot.store.engine import make_engine, session_scope, upgrade_database
from bot.store.models import Incident
from bot.store.pgserver import ThrowawayPostgres, free_port
from bot.store.writer import IncidentWriter, read_spill

from .factory import incident


@pytest.fixture
def own_pg() -> Iterator[ThrowawayPostgres]:
    """A PostgreSQL server of this test's own, so stopping it disturbs no other test."""
    server = ThrowawayPostgres()
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


def _event_ids(engine: Engine) -> list[str]:
    with session_scope(engine) as s:
        return list(s.scalars(select(col(Incident.event_id)).order_by(col(Incident.id))))


def test_writes_queue_while_postgres_is_down_and_flush_in_order(own_pg: ThrowawayPostgres) -> None:
    """With the server stopped, write() queues and returns None without raising; once it is back, flush()
    stores the queued incidents in their original order, exactly once."""
    engine = make_engine(own_pg.create_database("mirage"))
    upgrade_database(engine)
    writer = IncidentWriter(engine, max_queue=100)
    try:
        assert writer.write(incident(event_id="E1")) is not None
        assert writer.write(incident(event_id="E2")) is not None

        own_pg.stop()
        assert [writer.write(incident(event_id=f"E{n}")) for n in (3, 4, 5)] == [None, None, None]
        assert writer.pending == 3
        assert writer.flush() == 0  # still down: nothing written, nothing lost
        assert writer.pending == 3

        own_pg.start()
        assert writer.flush() == 3
        assert writer.pending == 0
        assert writer.flush() == 0
        assert _event_ids(engine) == ["E1", "E2", "E3", "E4", "E5"]
    finally:
        engine.dispose()


def test_write_after_an_outage_goes_after_the_queued_ones(own_pg: ThrowawayPostgres) -> None:
    """The first write after the database returns stores the queued incidents first, then itself."""
    engine = make_engine(own_pg.create_database("mirage"))
    upgrade_database(engine)
    writer = IncidentWriter(engine, max_queue=10)
    try:
        own_pg.stop()
        assert writer.write(incident(event_id="Q1")) is None
        assert writer.write(incident(event_id="Q2")) is None
        own_pg.start()
        stored = writer.write(incident(event_id="Q3"))
        assert stored is not None and stored.event_id == "Q3"
        assert writer.pending == 0
        assert _event_ids(engine) == ["Q1", "Q2", "Q3"]
        again = writer.record(incident(event_id="Q1"))
        assert again is not None and again[1] is False  # already stored: not written twice
        assert _event_ids(engine) == ["Q1", "Q2", "Q3"]
    finally:
        engine.dispose()


def _unreachable_engine() -> Engine:
    """A PostgreSQL URL where nothing listens: every connection attempt is refused, as when the server is down."""
    return make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/mirage")


def test_full_queue_spills_the_oldest_to_a_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Beyond max_queue the oldest queued incidents go to the spill file (logged), never silently dropped."""
    spill = tmp_path / "spill.jsonl"
    engine = _unreachable_engine()
    writer = IncidentWriter(engine, max_queue=3, spill_path=spill)
    originals = [incident(event_id=f"S{n}") for n in range(5)]
    with caplog.at_level(logging.WARNING, logger="mirage.store.writer"):
        results = [writer.write(new) for new in originals]
    engine.dispose()
    assert results == [None] * 5
    assert writer.pending == 3
    assert writer.spilled == 2
    assert read_spill(spill) == originals[:2]
    assert sum("spilled incident" in r.getMessage() for r in caplog.records) == 2


def test_full_queue_without_a_spill_file_logs_the_record(caplog: pytest.LogCaptureFixture) -> None:
    """Without a spill file, an incident pushed out of the full queue is logged at ERROR level in full."""
    engine = _unreachable_engine()
    writer = IncidentWriter(engine, max_queue=1)
    with caplog.at_level(logging.ERROR, logger="mirage.store.writer"):
        writer.write(incident(event_id="L1"))
        writer.write(incident(event_id="L2"))
    engine.dispose()
    assert writer.pending == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and '"event_id": "L1"' in errors[0]


def test_sqlite_writer_spills_next_to_the_database(tmp_path: Path) -> None:
    """On SQLite the default spill file sits next to the database file, and writes go straight through."""
    engine = make_engine(f"sqlite:///{tmp_path / 'mirage.db'}")
    upgrade_database(engine)
    writer = IncidentWriter(engine, max_queue=5)
    stored = writer.write(incident(event_id="W1"))
    engine.dispose()
    assert writer.spill_path == tmp_path / "mirage.db.spill.jsonl"
    assert stored is not None and stored.id is not None
    assert writer.pending == 0


def test_max_queue_must_be_positive(sqlite_engine: Engine) -> None:
    """A queue bound below 1 is refused clearly."""
    with pytest.raises(ValueError, match="max_queue"):
        IncidentWriter(sqlite_engine, max_queue=0)
