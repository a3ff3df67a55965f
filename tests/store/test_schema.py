"""Migrations, engine set-up and datetime handling on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

from bot.store.engine import current_revision, head_revision, make_engine, session_scope, upgrade_database
from bot.store.incidents import record_incident

from ..pg import PgServer
from .factory import incident


def _diffs(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def test_migrations_match_the_models_on_sqlite(tmp_path: Path) -> None:
    """After upgrade_database on an empty SQLite file, Alembic sees no difference from the SQLModel tables."""
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert current_revision(engine) is None
    upgrade_database(engine)
    assert current_revision(engine) == head_revision()
    assert _diffs(engine) == []
    assert set(inspect(engine).get_table_names()) >= {t.name for t in SQLModel.metadata.sorted_tables}


def test_migrations_match_the_models_on_postgres(pg: PgServer) -> None:
    """After upgrade_database on an empty PostgreSQL database, Alembic sees no difference from the models."""
    with pg.engine(migrated=False) as engine:
        assert current_revision(engine) is None
        upgrade_database(engine)
        assert current_revision(engine) == head_revision()
        assert _diffs(engine) == []


def test_upgrade_twice_is_harmless(engine: Engine) -> None:
    """Running the migrations on an up-to-date database changes nothing and keeps the data."""
    with session_scope(engine) as s:
        record_incident(s, incident())
    upgrade_database(engine)
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM incidents")).scalar_one() == 1
    assert current_revision(engine) == head_revision()


def test_sqlite_engine_uses_wal_and_foreign_keys(tmp_path: Path) -> None:
    """make_engine creates the parent directory and turns on WAL and foreign keys for every connection."""
    path = tmp_path / "deep" / "dir" / "mirage.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    assert path.exists()


def test_plain_postgresql_url_uses_psycopg3(pg: PgServer) -> None:
    """A postgresql:// URL (no driver) is served by psycopg 3, which is the driver we ship."""
    url = pg.admin_url.replace("postgresql+psycopg://", "postgresql://")
    engine = make_engine(url)
    try:
        assert engine.dialect.driver == "psycopg"
        with engine.connect() as c:
            assert c.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


def test_datetimes_come_back_as_utc(engine: Engine) -> None:
    """A datetime stored with any offset reads back timezone-aware, in UTC, at the same instant."""
    local = datetime(2026, 11, 16, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    with session_scope(engine) as s:
        stored, _ = record_incident(s, incident(created_at=local))
        incident_id = stored.id
    with session_scope(engine) as s:
        from bot.store.models import Incident

        row = s.get(Incident, incident_id)
        assert row is not None
        assert row.created_at == local
        assert row.created_at.utcoffset() == timedelta(0)
        assert row.created_at.hour == 10
